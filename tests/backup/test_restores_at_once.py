"""Restores of different accounts that run at once, even started in the same millisecond, each
extract into a staging directory of their own."""

import asyncio
import threading
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.backup import restore as restore_module
from tests.backup.helpers import changed_backup


async def test_two_restores_started_in_the_same_millisecond_both_complete(
    client: DaemonClient, daemon: Daemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "backup.zip"
    archive.write_bytes(await changed_backup(client, daemon))
    await client.call("createAccount", "other")
    monkeypatch.setattr(restore_module, "now_ms", lambda: 1_800_000_000_000)  # one clock tick
    other_extracting = threading.Event()

    def wait_for_the_other() -> None:  # in main's extraction thread: both extract at once
        other_extracting.wait(10)

    restores = daemon.backups.restores
    await asyncio.gather(
        restores.restore("main", archive, lambda *_: None, wait_for_the_other),
        restores.restore("other", archive, lambda *_: None, other_extracting.set),
    )

    for account in ("main", "other"):
        assert await daemon.accounts.get(account).fetch_one(
            "SELECT value FROM key_value WHERE key = 'marker'"
        ) == ("seed 0",)
    assert not (daemon.config.data_dir / "restore-staging").exists()
