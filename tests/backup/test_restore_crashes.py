"""A restore interrupted at any step leaves the old account or the new one, never a mix.

Each case kills a real process (``os._exit``) right after one step of an offline restore, then
starts a daemon on the same data dir; and the in-process cases fail a step with an exception.
"""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
from tests.backup.crash_restore import KILLED
from tests.backup.helpers import (
    database_that_cannot_open,
    fill_account,
    restored_digests,
    tree_listing,
)
from tests.conftest import make_config
from tests.daemon_process import clean_environment

STEPS_BEFORE_COMMIT = [
    "validated",
    "journal-staged",
    "staged",
    "closed",
    "journal-swapping",
    "moved-previous-database",
    "moved-new-database",
    "moved-previous-files",
    "moved-new-files",
    "moved-previous-logs",
    "moved-new-logs",
    "reopened",
]
STEPS_AFTER_COMMIT = ["committed", "cleaned"]


@dataclass(frozen=True)
class Account:
    tables: dict[str, str]
    files: dict[str, str]


@dataclass(frozen=True)
class Prepared:
    data_dir: Path
    archive: Path
    old: Account
    new: Account


def snapshot_of(daemon: Daemon) -> Account:
    return Account(
        restored_digests(daemon.accounts.db_path("main")),
        tree_listing(daemon.accounts.files_dir("main")),
    )


async def write_user_file(daemon: Daemon, content: bytes) -> None:
    files = daemon.server_files("main")
    record = await files.upsert({"name": "notes.csv", "status": "completed"})
    files.directory.mkdir(parents=True, exist_ok=True)
    files.path(record["id"]).write_bytes(content)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    import asyncio

    root = tmp_path_factory.mktemp("crash")

    async def prepare() -> Prepared:
        daemon = Daemon(make_config(root / "data"))
        await daemon.start()
        try:
            await daemon.accounts.create("main")
            await daemon.accounts.get("main").write(fill_account)
            await write_user_file(daemon, b"backed up\n")
            new = snapshot_of(daemon)
            record = await daemon.backups.enqueueBackup("main")
            archive = root / "backup.zip"
            shutil.copy(daemon.server_files("main").path(record["id"]), archive)
            await daemon.accounts.reset("main")
            await daemon.accounts.get("main").write(lambda conn: fill_account(conn, 40, seed=3))
            await write_user_file(daemon, b"live, not in the backup\n")
            (daemon.accounts.logs_dir("main")).mkdir(parents=True, exist_ok=True)
            (daemon.accounts.logs_dir("main") / "server_task_9.log").write_text("old log\n")
            old = snapshot_of(daemon)
        finally:
            await daemon.stop()
        return Prepared(root / "data", archive, old, new)

    return asyncio.run(prepare())


def run_restore(
    data_dir: Path, archive: Path, crash_after: str
) -> "subprocess.CompletedProcess[str]":
    """An offline restore in a new process, killed right after the step ``crash_after``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.backup.crash_restore",
            str(data_dir),
            "main",
            str(archive),
            crash_after,
        ],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=60,
    )


async def account_after_restart(data_dir: Path) -> Account:
    daemon = Daemon(make_config(data_dir))
    await daemon.start()
    try:
        db = daemon.accounts.get("main")
        assert await db.fetch_one("PRAGMA integrity_check") == ("ok",)
        await db.execute("INSERT INTO key_value (key, value) VALUES ('works', 1)")
        await db.execute("DELETE FROM key_value WHERE key = 'works'")
        await db.write(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        leftovers = [
            path.name
            for path in (data_dir / "databases").iterdir()
            if not path.name.startswith("main.sqlite")
            or ".restore-" in path.name
            or ".pre-restore-" in path.name
        ]
        assert leftovers == []
        for parent in ("files", "logs"):
            assert sorted(path.name for path in (data_dir / parent).iterdir()) in ([], ["main"])
        return snapshot_of(daemon)
    finally:
        await daemon.stop()


@pytest.mark.parametrize("step", STEPS_BEFORE_COMMIT + STEPS_AFTER_COMMIT)
async def test_a_restore_killed_after_a_step_leaves_one_whole_account(
    prepared: Prepared, tmp_path: Path, step: str
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data_dir)
    process = run_restore(data_dir, prepared.archive, step)
    assert process.returncode == KILLED, process.stderr
    expected = prepared.new if step in STEPS_AFTER_COMMIT else prepared.old
    assert await account_after_restart(data_dir) == expected


async def test_a_restore_that_runs_to_the_end_gives_the_new_account(
    prepared: Prepared, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data_dir)
    process = run_restore(data_dir, prepared.archive, "never")
    assert process.returncode == 0, process.stderr
    assert await account_after_restart(data_dir) == prepared.new


class Boom(Exception):
    pass


@pytest.mark.parametrize("step", STEPS_BEFORE_COMMIT)
async def test_a_step_that_fails_rolls_back_at_once(
    prepared: Prepared, tmp_path: Path, step: str
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data_dir)
    daemon = Daemon(make_config(data_dir))
    await daemon.start()

    def fail(name: str) -> None:
        if name == step:
            raise Boom(f"injected failure after {name}")

    try:
        with pytest.raises(
            Boom if step in ("validated", "journal-staged", "staged") else BackupError
        ) as failed:
            await daemon.backups.restores.restore(
                "main", prepared.archive, lambda *_: None, no_checkpoint, fail
            )
        if failed.type is BackupError:
            assert str(failed.value) == (
                f"The restore could not be completed (injected failure after {step}); the "
                "account is back as it was before the restore."
            )
        assert await daemon.accounts.get("main").fetch_one("SELECT COUNT(*) FROM audit_logs") == (
            40,
        )
    finally:
        await daemon.stop()
    assert await account_after_restart(data_dir) == prepared.old


async def test_a_restored_database_that_cannot_open_is_rolled_back(
    prepared: Prepared, tmp_path: Path
) -> None:
    import zipfile

    data_dir = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data_dir)
    broken = tmp_path / "broken.sqlite"
    why = database_that_cannot_open(broken)
    archive_path = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.write(broken, "database.sqlite")
    daemon = Daemon(make_config(data_dir))
    await daemon.start()
    try:
        with pytest.raises(BackupError) as failed:
            await daemon.backups.restores.restore(
                "main", archive_path, lambda *_: None, no_checkpoint
            )
        assert str(failed.value) == (
            f"The restore could not be completed ({daemon.accounts.db_path('main')}: {why}); "
            "the account is back as it was before the restore."
        )
        assert await daemon.accounts.get("main").fetch_one("SELECT COUNT(*) FROM audit_logs") == (
            40,
        )
    finally:
        await daemon.stop()
    assert await account_after_restart(data_dir) == prepared.old


@pytest.mark.parametrize("step", ["moved-new-database", "reopened"])
async def test_the_restored_databases_journal_goes_with_it_on_a_rollback(
    prepared: Prepared, tmp_path: Path, step: str
) -> None:
    """Opening the restored database may leave a rollback journal beside it; a rollback that kept
    that journal beside the previous database would corrupt it at the next open."""
    data_dir = tmp_path / "data"
    shutil.copytree(prepared.data_dir, data_dir)
    process = run_restore(data_dir, prepared.archive, step)
    assert process.returncode == KILLED, process.stderr
    live = data_dir / "databases" / "main.sqlite"
    journal = live.with_name("main.sqlite-journal")
    journal.write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + bytes(504))  # a journal's header
    assert await account_after_restart(data_dir) == prepared.old
    assert not journal.exists()
