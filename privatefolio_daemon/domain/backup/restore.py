"""Restoring a backup into an existing account, in two phases.

``prepare`` checks the archive and its database and stages them beside the live items; nothing
live changes, and any failure leaves no trace. ``swap`` then closes the account, swaps the items
(``swap.py``), reopens and verifies the account, and rolls back to the previous items if that
fails. The previous database is deleted only once the restored one is open and verified; once
that is so, the restore has succeeded, whatever of the previous items cannot be deleted.
"""

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import tempfile
from pathlib import Path

from privatefolio_daemon.domain.accounts import AccountRegistry, ClosedAccount
from privatefolio_daemon.domain.backup.archive_reader import (
    RestoreLimits,
    StagedBackup,
    extract_backup,
)
from privatefolio_daemon.domain.backup.contentless_files import (
    drop_contentless_files,
    dropped_message,
)
from privatefolio_daemon.domain.backup.database_check import (
    adopt_privatefolio_database,
    check_database,
    check_files_listed,
)
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.generated_files import carry_generated_files
from privatefolio_daemon.domain.backup.kiosk_mode_kept import (
    keep_kiosk_mode,
    kiosk_mode_kept_message,
)
from privatefolio_daemon.domain.backup.progress_bridge import Checkpoint, Report, ThreadReport
from privatefolio_daemon.domain.backup.renewal import renew_restored
from privatefolio_daemon.domain.backup.restore_task_row import (
    TaskRow,
    move_log_aside,
    place_task_row,
)
from privatefolio_daemon.domain.backup.swap import (
    STAGING_DIR,
    StepHook,
    SwapItem,
    SwapJournal,
    finish,
    roll_back,
    settle_left,
    swap_in,
)
from privatefolio_daemon.domain.backup.unrun_tasks import carry_unrun_tasks
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.change_log import rename_feed
from privatefolio_daemon.store.database import Database, in_transaction
from privatefolio_daemon.store.durable_files import sync_directory
from privatefolio_daemon.store.migrations import Migration

log = logging.getLogger(__name__)


def _no_step(_: str) -> None:
    pass


class Restores:
    def __init__(
        self,
        accounts: AccountRegistry,
        events: EventBus,
        migrations: list[Migration],
        limits: RestoreLimits,
    ) -> None:
        self._accounts = accounts
        self._events = events
        self.migrations = migrations
        self._limits = limits
        #: The accounts whose restore is between the start of its ``prepare`` and the end of its
        #: ``swap``. The journal of an account not among them was left by a restore that ended.
        self._restoring: set[str] = set()

    async def restore(
        self,
        account: str,
        archive: Path,
        report: Report,
        checkpoint: Checkpoint,
        step: StepHook = _no_step,
    ) -> None:
        journal = await self.prepare(account, archive, report, checkpoint, step)
        await self.swap(account, journal, report, step)

    async def prepare(
        self,
        account: str,
        archive: Path,
        report: Report,
        checkpoint: Checkpoint,
        step: StepHook = _no_step,
        task: TaskRow | None = None,
    ) -> SwapJournal:
        """Check ``archive`` and stage it beside the account's live items; the journal keeps
        ``task``, the restore's task row, for the start after a crash to write."""
        self._accounts.get(account)
        if account in self._restoring:
            raise BackupError(f'A restore of account "{account}" is already in progress.')
        self._restoring.add(account)
        try:
            return await self._prepare(account, archive, report, checkpoint, step, task)
        except BaseException:
            self._restoring.discard(account)
            raise

    async def _prepare(
        self,
        account: str,
        archive: Path,
        report: Report,
        checkpoint: Checkpoint,
        step: StepHook,
        task: TaskRow | None,
    ) -> SwapJournal:
        stamp = now_ms()
        journal = SwapJournal(
            self._accounts.databases_dir / f"{account}.restore.json",
            account,
            [
                SwapItem("database", self._accounts.db_path(account), stamp),
                SwapItem("files", self._accounts.files_dir(account), stamp),
                SwapItem("logs", self._accounts.logs_dir(account), stamp),
            ],
            task=task,
        )
        await asyncio.to_thread(_settle_left_journal, account, journal.path)
        staging = await asyncio.to_thread(_new_staging, self._accounts.data_dir / STAGING_DIR)
        try:
            report(0, "Checking the backup archive")
            staged = await asyncio.to_thread(
                extract_backup,
                archive,
                staging,
                self._limits,
                on_progress=ThreadReport(report, 0, 60).bytes,
                checkpoint=checkpoint,
            )
            report(60, "Checking the database of the backup")
            database, dropped = await asyncio.to_thread(self._checked_database, staged)
            if dropped:
                report(None, dropped_message(dropped))
            step("validated")
            checkpoint()
            await asyncio.to_thread(_place, journal, staged, database, step)
        except BaseException:
            if journal.path.exists():
                await asyncio.to_thread(roll_back, journal)
            raise
        finally:
            await asyncio.to_thread(_remove_staging, staging)
        report(80, "The backup is valid")
        return journal

    async def swap(
        self, account: str, journal: SwapJournal, report: Report, step: StepHook = _no_step
    ) -> None:
        """Swap the staged items in; the account is either restored or as it was."""
        try:
            await self._swap(account, journal, report, step)
        finally:
            self._restoring.discard(account)

    async def _swap(
        self, account: str, journal: SwapJournal, report: Report, step: StepHook
    ) -> None:
        report(85, "Closing the account")
        closed_at = now_ms()
        async with self._accounts.exclusive(account) as closed:
            try:
                step("closed")
                database = next(item for item in journal.items if item.kind == "database")
                files = next(item for item in journal.items if item.kind == "files")
                await asyncio.to_thread(
                    renew_restored, database.live, database.new, self.migrations
                )
                kept = await asyncio.to_thread(keep_kiosk_mode, database.live, database.new)
                if kept is not None:
                    report(None, kiosk_mode_kept_message(kept))
                logs = next(item for item in journal.items if item.kind == "logs")
                await asyncio.to_thread(
                    carry_unrun_tasks, database.live, database.new, logs.new, closed_at
                )
                await asyncio.to_thread(
                    carry_generated_files, database.live, database.new, files.live, files.new
                )
                await asyncio.to_thread(swap_in, journal, step)
                report(90, "Opening the restored account")
                restored = await closed.reopen()
                await _verify(restored)
                step("reopened")
                await asyncio.to_thread(journal.write, "committed")
            except Exception as error:
                await _roll_back(closed, journal, error)
            step("committed")
            await _record_committed(restored, journal)  # while the journal could still tell
            await asyncio.to_thread(finish, journal)
            step("cleaned")
        self._events.announce_reset(account)
        report(100, "Restore completed")

    def _checked_database(self, staged: StagedBackup) -> tuple[Path, list[tuple[int, str]]]:
        """The database to swap in, and the records it had of files the daemon made, without
        their content (``contentless_files.py``), dropped."""
        if check_database(staged.database, self.migrations) > 0:
            rename_feed(staged.database)
            database = staged.database
        else:
            database = staged.directory / "adopted.sqlite"  # a Privatefolio backend database
            adopt_privatefolio_database(staged.database, database, self.migrations)
        check_files_listed(database, staged.directory / "files")
        return database, drop_contentless_files(database, staged.directory / "files")


async def _record_committed(db: Database, journal: SwapJournal) -> None:
    """The restore's row, completed, in the restored account (the caller's record of it follows
    and replaces it); a failure is logged, as the start that settles a journal does."""
    row = journal.task
    if row is None:
        return
    logs = next(item.live for item in journal.items if item.kind == "logs")

    def write(connection: sqlite3.Connection) -> int | None:
        return in_transaction(connection, lambda conn: place_task_row(conn, row, committed=True))

    try:
        moved = await db.write(write)
        await asyncio.to_thread(move_log_aside, logs, row.task_id, moved)
    except (OSError, sqlite3.Error) as error:
        log.error(
            "Could not record restore task %d of %s (%s)", row.task_id, journal.account, error
        )


def _place(journal: SwapJournal, staged: StagedBackup, database: Path, step: StepHook) -> None:
    journal.write("staged")
    step("journal-staged")
    sources = {
        "database": database,
        "files": staged.directory / "files",
        "logs": staged.directory / "logs",
    }
    for item in journal.items:
        source = sources[item.kind]
        if source.exists():
            item.live.parent.mkdir(parents=True, exist_ok=True)
            source.rename(item.new)
            sync_directory(item.live.parent)
    step("staged")


def _settle_left_journal(account: str, path: Path) -> None:
    """The journal of an ended restore of the account, which could not be removed then (a file
    another program held, say), is settled first; the restore is refused only while it cannot."""
    if not path.exists():
        return
    try:
        journal = SwapJournal.read(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(_left_journal(account, path, "read", error)) from error
    try:
        settle_left(journal)
    except OSError as error:
        raise BackupError(_left_journal(account, path, "removed", error)) from error


def _left_journal(account: str, path: Path, failed: str, error: Exception) -> str:
    return (
        f'A restore of account "{account}" cannot start: the journal of an earlier restore, '
        f"{path}, cannot be {failed} ({error})."
    )


async def _verify(db: Database) -> None:
    result = await db.read(lambda conn: conn.execute("PRAGMA quick_check").fetchone()[0])
    if result != "ok":
        raise BackupError(f"the restored database failed its check after opening: {result}")


async def _roll_back(closed: ClosedAccount, journal: SwapJournal, error: Exception) -> None:
    """Put the previous items back and reopen the account; a journal that cannot be removed
    stays for the next start or restore to settle (``roll_back`` logs it)."""
    await closed.close()
    await asyncio.to_thread(roll_back, journal)
    try:
        await closed.reopen()
    except Exception as reopen_error:
        raise BackupError(
            f"The restore failed ({error}) and the previous database could not be reopened "
            f"({reopen_error}); restart privatefolio-daemon."
        ) from error
    raise BackupError(
        f"The restore could not be completed ({error}); the account is back as it was before "
        "the restore."
    ) from error


def _new_staging(root: Path) -> Path:
    """A directory of this restore's own: others may run at once, started in the same ms."""
    for _ in range(3):  # another restore's clean-up may remove the empty root meanwhile
        root.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            return Path(tempfile.mkdtemp(dir=root))
    return Path(tempfile.mkdtemp(dir=root))


def _remove_staging(staging: Path) -> None:
    """The restore's staging directory, and the staging root when no other restore uses it."""
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        staging.parent.rmdir()
