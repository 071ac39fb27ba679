"""A follower of the change feed that meets its account being reset or restored waits for it
quietly: the end of the reset wakes it, and it goes on with the new feed; so does the end of a
restore that fails, and it goes on with the feed it knew."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
from privatefolio_daemon.domain.change_feed import ChangeFeed
from tests.api.held_reads import hold_a_reader
from tests.api.manual_entries import until
from tests.backup.test_restore_task import unopenable_backup

FEED_LOG = "privatefolio_daemon.domain.change_feed"


class HeldFollower:
    """A follower of main's feed from the start that holds each page until ``go_on`` is set."""

    def __init__(self, daemon: Daemon) -> None:
        self.pages: list[dict[str, Any]] = []
        self.delivered, self.go_on = asyncio.Event(), asyncio.Event()
        self.stop = ChangeFeed(daemon.accounts.get, daemon.events).follow("main", 0, self._deliver)

    async def _deliver(self, page: dict[str, Any]) -> None:
        self.pages.append(page)
        self.delivered.set()
        await self.go_on.wait()


async def test_a_follower_that_meets_a_reset_waits_for_it(
    daemon: Daemon, client: DaemonClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=FEED_LOG)
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    follower = HeldFollower(daemon)
    await follower.delivered.wait()
    await client.call("upsertTags", "main", ["b"])  # the follower reads on once it delivered
    # A read in flight holds the reset while the account is closed
    held, release = await hold_a_reader(daemon.accounts.get("main"))
    reset = asyncio.create_task(client.call("resetAccount", "main"))
    try:
        await until(lambda: daemon.accounts.closed_for("main") == "being reset")
        follower.go_on.set()
        await until(lambda: any(record.name == FEED_LOG for record in caplog.records))
    finally:
        release.set()
    await held
    await reset
    await until(lambda: len(follower.pages) == 2)
    follower.stop()

    assert [
        (r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == FEED_LOG
    ] == [
        (
            "INFO",
            'Following the change feed of main waits for the account: Account "main" is being '
            "reset; try again in a moment",
            None,
        )
    ]
    pages = follower.pages
    assert [[c["recordId"] for c in page["changes"]] for page in pages] == [["1"], []]
    assert pages[1]["reset"] is True
    assert pages[1]["feedId"] != pages[0]["feedId"]


async def test_a_follower_that_meets_a_restore_that_fails_gets_what_it_missed(
    daemon: Daemon, client: DaemonClient, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The rollback announces no reset (nothing changed), yet the follower hears the account is
    open again, and delivers the change committed before the restore closed it."""
    caplog.set_level(logging.INFO, logger=FEED_LOG)
    await client.call("createAccount", "main")
    archive = tmp_path / "broken.zip"
    archive.write_bytes(unopenable_backup(tmp_path)[0])
    await client.call("upsertTags", "main", ["a"])
    follower = HeldFollower(daemon)
    await follower.delivered.wait()
    await client.call("upsertTags", "main", ["b"])  # the follower reads on once it delivered
    held, release = await hold_a_reader(daemon.accounts.get("main"))
    restore = asyncio.create_task(
        daemon.backups.restores.restore("main", archive, lambda *_: None, no_checkpoint)
    )
    try:
        await until(lambda: not daemon.accounts.exists("main"))  # closed, its close held
        follower.go_on.set()
        await until(lambda: any(record.name == FEED_LOG for record in caplog.records))
    finally:
        release.set()
    await held
    with pytest.raises(BackupError):
        await restore
    await until(lambda: len(follower.pages) == 2)
    follower.stop()

    assert [
        (r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == FEED_LOG
    ] == [
        (
            "INFO",
            'Following the change feed of main waits for the account: Account "main" is being '
            "restored; try again in a moment",
            None,
        )
    ]
    pages = follower.pages
    assert [[c["record"]["name"] for c in page["changes"]] for page in pages] == [["a"], ["b"]]
    assert "reset" not in pages[1]
    assert pages[1]["feedId"] == pages[0]["feedId"]
