"""A committed restore whose previous items cannot be deleted is still a restore that succeeded.

Root may delete any file, so a deletion is made to fail by turning the directory that holds the
previous items into a file for a while: ``files/main.pre-restore-<ts>`` then cannot go.
"""

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
from tests.backup.helpers import (
    changed_backup,
    fill_account,
    restore_over_rpc,
    tree_listing,
    upload,
)
from tests.backup.test_restore_crashes import run_restore
from tests.conftest import make_config, offline_daemon, running_daemon


class HeldFiles:
    """``data/files`` swapped for a file, so that nothing under it can be deleted."""

    def __init__(self, data_dir: Path) -> None:
        self.files = data_dir / "files"
        self.aside = data_dir / "files.held"

    def hold(self) -> None:
        self.files.rename(self.aside)
        self.files.write_text("not a directory\n")

    def release(self) -> None:
        self.files.unlink()
        self.aside.rename(self.files)


def leftover_lists(data_dir: Path) -> list[dict[str, Any]]:
    paths = sorted((data_dir / "databases").glob("*.leftovers.json"))
    return [orjson.loads(path.read_bytes()) for path in paths]


def previous_items(data_dir: Path) -> list[str]:
    return sorted(
        path.relative_to(data_dir).as_posix()
        for parent in ("databases", "files", "logs")
        for path in (data_dir / parent).glob("*.pre-restore-*")
    )


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.ERROR, logger="privatefolio_daemon.domain.backup.swap")
    yield caplog


async def test_a_restore_whose_previous_files_cannot_be_deleted_completes(
    client: DaemonClient,
    daemon: Daemon,
    tmp_path: Path,
    errors: pytest.LogCaptureFixture,
) -> None:
    content = await changed_backup(client, daemon)
    archive = tmp_path / "backup.zip"
    archive.write_bytes(content)
    data_dir = daemon.config.data_dir
    held = HeldFiles(data_dir)
    announced: list[tuple[Any, ...]] = []
    daemon.events.subscribe("accounts", lambda *args: announced.append(args))

    def block_the_cleanup(step: str) -> None:
        if step == "committed":
            held.hold()

    await daemon.backups.restores.restore(
        "main", archive, lambda *_: None, no_checkpoint, block_the_cleanup
    )

    assert announced == [("reset", "main")]
    assert await daemon.accounts.get("main").fetch_one(
        "SELECT value FROM key_value WHERE key = 'marker'"
    ) == ("seed 0",)
    assert not (data_dir / "databases" / "main.restore.json").exists()
    [stamp] = {path.name.split("-")[-1] for path in (data_dir / "files.held").glob("main.pre-*")}
    previous = data_dir / "files" / f"main.pre-restore-{stamp}"
    assert [record["account"] for record in leftover_lists(data_dir)] == ["main"]
    assert {item["path"] for item in leftover_lists(data_dir)[0]["paths"]} == {
        str(previous),
        str(data_dir / "files" / f"main.restore-{stamp}.new"),
    }
    assert f"Could not delete {previous}, left by the restore of main" in errors.text
    held.release()
    assert previous_items(data_dir) == [f"files/main.pre-restore-{stamp}"]

    # The account can be restored again at once.
    assert (
        await restore_over_rpc(client, "main", await upload(client, daemon, "main", content))
        is None
    )


async def test_a_start_deletes_what_a_committed_restore_left(
    tmp_path: Path, errors: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    daemon = offline_daemon(make_config(data_dir))
    await daemon.start()
    try:
        await daemon.accounts.create("main")
        await daemon.accounts.get("main").execute(
            "INSERT INTO key_value (key, value) VALUES ('marker', 'backed up')"
        )
        record = await daemon.backups.enqueueBackup("main")
        archive = tmp_path / "backup.zip"
        shutil.copy(daemon.server_files("main").path(record["id"]), archive)
        await daemon.accounts.get("main").execute(
            "UPDATE key_value SET value = 'changed' WHERE key = 'marker'"
        )
    finally:
        await daemon.stop()
    process = run_restore(data_dir, archive, "committed")  # killed: the journal stays committed
    assert process.returncode != 0
    assert previous_items(data_dir) != []
    held = HeldFiles(data_dir)
    held.hold()

    daemon = offline_daemon(make_config(data_dir))
    await daemon.start()  # the previous files cannot go: the start goes on
    try:
        assert await daemon.accounts.get("main").fetch_one(
            "SELECT value FROM key_value WHERE key = 'marker'"
        ) == ("backed up",)
    finally:
        await daemon.stop()
    assert not (data_dir / "databases" / "main.restore.json").exists()
    assert "Could not delete" in errors.text
    held.release()
    assert [path.split("/")[0] for path in previous_items(data_dir)] == ["files"]

    daemon = offline_daemon(make_config(data_dir))
    await daemon.start()
    await daemon.stop()
    assert previous_items(data_dir) == []
    assert leftover_lists(data_dir) == []
    assert sorted(path.name for path in (data_dir / "files").iterdir()) == ["main"]


class HeldJournal:
    """``databases/main.restore.json`` swapped for a directory, so that it cannot be removed."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "databases" / "main.restore.json"
        self.aside = data_dir / "journal.held"

    def hold(self) -> None:
        self.path.rename(self.aside)
        self.path.mkdir()
        (self.path / "held").write_text("held by another program\n")

    def release(self) -> None:
        shutil.rmtree(self.path)
        self.aside.rename(self.path)


async def test_a_journal_left_by_a_restore_is_removed_by_the_next_restore(
    client: DaemonClient,
    daemon: Daemon,
    tmp_path: Path,
    errors: pytest.LogCaptureFixture,
) -> None:
    """A restore whose journal cannot be removed has succeeded; the next restore of the account
    removes the journal first, and is refused, naming it, only while it still cannot."""
    content = await changed_backup(client, daemon)
    archive = tmp_path / "backup.zip"
    archive.write_bytes(content)
    held = HeldJournal(daemon.config.data_dir)

    def hold_the_journal(step: str) -> None:
        if step == "committed":
            held.hold()

    await daemon.backups.restores.restore(
        "main", archive, lambda *_: None, no_checkpoint, hold_the_journal
    )
    assert f"The restore of main is done, but its journal {held.path} could not" in errors.text

    refused = await restore_over_rpc(client, "main", await upload(client, daemon, "main", content))
    assert refused == (
        f'Error: A restore of account "main" cannot start: the journal of an earlier restore, '
        f"{held.path}, cannot be read ([Errno 21] Is a directory: '{held.path}')."
    )

    held.release()
    await daemon.accounts.get("main").write(lambda conn: fill_account(conn, 5, seed=2))
    restored = await restore_over_rpc(client, "main", await upload(client, daemon, "main", content))
    assert restored is None
    assert await daemon.accounts.get("main").fetch_one(
        "SELECT value FROM key_value WHERE key = 'marker'"
    ) == ("seed 0",)
    assert not held.path.exists()
    assert previous_items(daemon.config.data_dir) == []
    assert leftover_lists(daemon.config.data_dir) == []


async def test_a_rolled_back_restore_whose_journal_cannot_be_removed_reopens_the_account(
    client: DaemonClient,
    daemon: Daemon,
    tmp_path: Path,
    errors: pytest.LogCaptureFixture,
) -> None:
    """The previous items are back: the account opens again at once, and the journal waits for
    the next restore (or start) to remove it."""
    content = await changed_backup(client, daemon)
    archive = tmp_path / "backup.zip"
    archive.write_bytes(content)
    held = HeldJournal(daemon.config.data_dir)

    def hold_the_journal(step: str) -> None:
        if step == "reopened":  # the journal cannot be written "committed", nor removed
            held.hold()

    with pytest.raises(BackupError) as failed:
        await daemon.backups.restores.restore(
            "main", archive, lambda *_: None, no_checkpoint, hold_the_journal
        )

    assert str(failed.value) == (
        f"The restore could not be completed ([Errno 21] Is a directory: '{held.path}.tmp' -> "
        f"'{held.path}'); the account is back as it was before the restore."
    )
    assert await client.call("getAccountNames") == ["main"]
    assert await client.call("getValue", "main", "marker") == "seed 1"
    assert f"The restore of main was rolled back, but its journal {held.path} could not" in (
        errors.text
    )
    assert previous_items(daemon.config.data_dir) == []

    held.release()
    restored = await restore_over_rpc(client, "main", await upload(client, daemon, "main", content))
    assert restored is None
    assert await client.call("getValue", "main", "marker") == "seed 0"
    assert not held.path.exists()


async def test_a_start_leaves_the_account_a_rolled_back_restore_left_its_journal_beside(
    tmp_path: Path, errors: pytest.LogCaptureFixture
) -> None:
    """The journal of a rollback says the account had no logs when the restore began; the logs
    of the tasks run since are the account's, and the start that settles the journal keeps them."""
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        content = await changed_backup(client, daemon)
        archive = tmp_path / "backup.zip"
        archive.write_bytes(content)
        logs = daemon.accounts.logs_dir("main")
        shutil.rmtree(logs)  # an account that has run no task yet
        held = HeldJournal(daemon.config.data_dir)

        def hold_the_journal(step: str) -> None:
            if step == "reopened":
                held.hold()

        with pytest.raises(BackupError):
            await daemon.backups.restores.restore(
                "main", archive, lambda *_: None, no_checkpoint, hold_the_journal
            )
        await client.call("enqueueBackup", "main")
        kept = tree_listing(logs)
        assert kept != {}
        held.release()  # the program that held the journal let it go

    async with running_daemon(config) as (daemon, client):
        assert tree_listing(daemon.accounts.logs_dir("main")) == kept
        assert await client.call("getValue", "main", "marker") == "seed 1"
    assert not held.path.exists()
