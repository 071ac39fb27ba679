"""Backup and restore methods: ``enqueueBackup`` and ``enqueueRestore`` (Privatefolio's flow).

Backup: ``enqueueBackup`` → the server file, once the task is done → ``GET /download``.
Restore: ``upsertServerFile`` → ``POST /upload`` → ``enqueueRestore``. The restore task checks
and stages the backup; closing the account for the swap ends that task (its row goes with the
old database), so the swap runs on, shielded, and a fresh "Restore account" row with the whole
log is written to the restored database, as Privatefolio does. From the swap's start until that
row is written, ``cancelTask`` refuses the task; a restore queued behind it is told, once the
swap has ended, that it never ran, and its row, cancelled, says why.
"""

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from privatefolio_daemon.domain.account_closed import CANCELLED_BY_CLOSE
from privatefolio_daemon.domain.accounts import AccountRegistry
from privatefolio_daemon.domain.backup.archive_reader import RestoreLimits
from privatefolio_daemon.domain.backup.backups import Backups
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.restore import Restores
from privatefolio_daemon.domain.backup.restore_task_row import (
    TaskRow,
    move_log_aside,
    record_task_row,
)
from privatefolio_daemon.domain.backup.swap import SwapJournal
from privatefolio_daemon.domain.errors import (
    BusyError,
    InvalidInputError,
    NotFoundError,
    TaskCancelledError,
    TaskFailedError,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.server_files import ServerFiles
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskHandedOff
from privatefolio_daemon.relayer.progress import TaskProgress, write_task_log
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, rpc_method
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store import server_tasks
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.migrations import load_migrations
from privatefolio_daemon.store.task_log_files import task_log_path

log = logging.getLogger(__name__)

BACKUP_TASK = "Backup"
RESTORE_TASK = "Restore account"
#: Why a restore that swaps the account's files can no longer be cancelled.
APPLYING = "the restore is being applied, which takes moments and then finishes."
#: How the queue tells a task queued when its account closed.


class RestoreLog:
    """The restore's progress lines: kept for the fresh task row, forwarded while a task runs."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, float | None, str | None]] = []
        self.forward: TaskProgress | None = None

    def __call__(self, percent: float | None = None, message: str | None = None) -> None:
        self.lines.append((now_ms(), percent, message))
        if self.forward is not None:
            self.forward(percent, message)


class BackupApi:
    def __init__(
        self,
        accounts: AccountRegistry,
        events: EventBus,
        relayer: Relayer,
        files_of: Callable[[str], ServerFiles],
        backups: Backups,
        restores: Restores,
    ) -> None:
        self._accounts = accounts
        self._events = events
        self._relayer = relayer
        self._files_of = files_of
        self.backups = backups
        self.restores = restores
        self._records: dict[tuple[str, int], dict[str, Any]] = {}
        self._waiting: dict[tuple[str, int], asyncio.Future[dict[str, Any]]] = {}
        self._swaps: set[asyncio.Task[Any]] = set()
        #: The swap of the restore being applied to each account; it returns the restore's error.
        self._applying: dict[str, asyncio.Task[str | None]] = {}

    @rpc_method()
    async def enqueueBackup(self, accountName: str, trigger: Trigger = "user") -> dict[str, Any]:
        """Back the account up (task "Backup"); returns the backup's server file when it is done."""
        task_id = await self.enqueue_backup(accountName, trigger)
        key = (accountName, task_id)
        future = self._waiting.setdefault(key, asyncio.get_running_loop().create_future())
        return await asyncio.shield(future)

    async def enqueue_backup(self, account: str, trigger: Trigger) -> int:
        """Queue a backup; returns the task id. A scheduled backup joins one queued already;
        a user's is always its own, so that its file is the user's alone to download and
        delete (the CLI deletes it once it has the zip)."""
        queued: list[int] = []

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            record = await self.backups.create(
                account, progress, cancel.checkpoint, progress.task_id
            )
            self._records[(account, progress.task_id)] = record

        def done(error: str | None) -> None:
            key = (account, queued[0])
            record = self._records.pop(key, None)
            future = self._waiting.pop(key, None)
            if future is None or future.done():
                return
            if error is None and record is not None:
                future.set_result(record)
            elif error is not None and error.startswith("Error: "):
                detail = error.removeprefix("Error: ")
                future.set_exception(TaskFailedError(f"The backup could not be written: {detail}"))
            else:
                future.set_exception(TaskCancelledError(error or "The backup did not complete."))

        task_id = await self._relayer.enqueue(
            account,
            TaskSpec(
                name=BACKUP_TASK,
                description=f"Back up the account {account}",
                priority=Priority.LOW,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=done,
                deduplicate=trigger != "user",
            ),
        )
        queued.append(task_id)
        return task_id

    async def scheduled_backup(self, account: str) -> None:
        """The ``backupInterval`` cron's job."""
        with contextlib.suppress(NotFoundError, BusyError):  # gone, or being restored
            await self.enqueue_backup(account, "cron")

    @rpc_method()
    async def enqueueRestore(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        serverFile: dict[str, Any],
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """Restore the account from an uploaded backup zip (task "Restore account"); returns the
        task id. ``onCompletion(error)`` is called once: null when the account is restored."""
        files = self._files_of(accountName)
        file_id = serverFile.get("id") if isinstance(serverFile, dict) else None
        if not isinstance(file_id, int) or isinstance(file_id, bool):
            raise InvalidInputError("serverFile must be a server file record with its id")
        record = await files.get(file_id)
        if record["status"] != "completed":
            raise BackupError(
                f'Server file {file_id} ("{record["name"]}") is {record["status"]}: upload it '
                "completely before restoring it."
            )
        ctx.keep_until_called(onCompletion)
        restore = _RestoreRun(
            self.restores, self.record_restore, accountName, trigger, str(record["name"])
        )
        restore.on_completion = onCompletion

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            restore.started_at = now_ms()
            restore.log.forward = progress
            if not await asyncio.to_thread(files.path(file_id).is_file):
                raise BackupError(
                    f'Server file {file_id} ("{record["name"]}") has no content any more: it '
                    "was deleted after its restore was queued. Upload the backup again."
                )
            journal = await self.restores.prepare(
                accountName,
                files.path(file_id),
                restore.log,
                cancel.checkpoint,
                task=restore.task_row(progress.task_id, restore.started_at),
            )
            restore.swapping = True
            applied = self._relayer.past_cancelling(accountName, progress.task_id, APPLYING)
            swap = asyncio.create_task(restore.swap(journal))
            self._swaps.add(swap)
            self._applying[accountName] = swap
            swap.add_done_callback(partial(self._swap_ended, accountName, applied))
            try:
                await asyncio.shield(swap)
            except asyncio.CancelledError:  # closing the account stops this task, not the swap
                raise TaskHandedOff from None

        restore.task_id = await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=RESTORE_TASK,
                description=restore.description,
                priority=Priority.HIGHEST,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=partial(self._restore_task_ended, restore),
                deduplicate=False,  # each restore has its own file and its own caller
            ),
        )
        return restore.task_id

    async def let_swaps_finish(self, timeout: float) -> None:
        """At a stop: wait, at most ``timeout`` s, for the restores that swap files (they take
        moments) to end and be recorded. One still swapping then is rolled back at the next
        start."""
        if not self._swaps:
            return
        accounts = ", ".join(sorted(self._applying)) or "an account"
        log.info(
            "Stopping once the restore of %s has swapped its files (at most %g s)",
            accounts,
            timeout,
        )
        _, unfinished = await asyncio.wait(set(self._swaps), timeout=timeout)
        if unfinished:
            log.warning(
                "The restore of %s did not end within %g s; stopping anyway: the next start "
                "rolls it back",
                accounts,
                timeout,
            )
        else:
            log.info("The restore of %s has ended; stopping", accounts)

    def _swap_ended(
        self, account: str, applied: Callable[[], object], swap: "asyncio.Task[str | None]"
    ) -> None:
        applied()
        self._swaps.discard(swap)
        if self._applying.get(account) is swap:
            del self._applying[account]

    async def _restore_task_ended(self, run: "_RestoreRun", error: str | None) -> None:
        """A restore queued when another restore of the account closed it never ran: its caller
        is told so once that restore has ended (it runs this very call, so not before)."""
        other = self._applying.get(run.account)
        if run.swapping or error != CANCELLED_BY_CLOSE or other is None:
            await run.task_ended(error)
            return
        told = asyncio.create_task(run.cut_off_by(other, self.record_cut_off))
        self._swaps.add(told)
        told.add_done_callback(self._swaps.discard)

    async def record_cut_off(self, account: str, task_id: int | None, message: str) -> None:
        """The row of a restore cut off by one that failed, in the account put back as it was:
        cancelled, as its reopened queue found it queued, with what its caller is told."""
        try:
            db = self._accounts.get(account)
        except (NotFoundError, BusyError):  # the account could not be reopened
            return
        if task_id is None:
            return
        await db.write(
            lambda connection: server_tasks.patch_task(
                connection, task_id, status="cancelled", errorMessage=message
            )
        )
        self._events.emit("server-tasks", account=account)

    async def record_restore(self, account: str, run: "_RestoreRun", error: str | None) -> None:
        """The "Restore account" row and log, under the id ``enqueueRestore`` returned, in the
        (restored or previous) database."""
        try:
            db = self._accounts.get(account)
        except NotFoundError:
            return
        if run.task_id is None:  # set as soon as the restore is queued, long before this
            log.error("A restore of %s has no task id to record it under", account)
            return
        completed_at = now_ms()
        row = run.task_row(run.task_id, run.started_at or run.queued_at)
        status = "failed" if error else "completed"

        def write(connection: Any) -> int | None:
            return in_transaction(
                connection,
                lambda conn: record_task_row(
                    conn, row, status=status, completed_at=completed_at, error=error
                ),
            )

        moved = await db.write(write)
        logs = self._accounts.logs_dir(account)
        await asyncio.to_thread(move_log_aside, logs, row.task_id, moved)
        task_id = row.task_id
        log_path = task_log_path(logs, task_id)
        await asyncio.to_thread(write_task_log, log_path, run.log.lines)
        self._events.emit("server-tasks", account=account)


class _RestoreRun:
    """One restore: its log, and the single ``onCompletion`` call it owes the caller."""

    def __init__(
        self,
        restores: Restores,
        record: Callable[[str, "_RestoreRun", str | None], Awaitable[None]],
        account: str,
        trigger: Trigger,
        source: str,
    ) -> None:
        self._restores = restores
        self._record = record
        self.account = account
        self.trigger = trigger
        self.source = source
        self.log = RestoreLog()
        self.swapping = False
        self.queued_at = now_ms()
        self.started_at: int | None = None
        """When its task began to run, once it has."""
        self.on_completion: RemoteFunction | None = None
        self.task_id: int | None = None

    @property
    def description(self) -> str:
        return f'Restore the account from "{self.source}"'

    def task_row(self, task_id: int, started_at: int) -> TaskRow:
        """Its row as ``record_restore`` writes it, for the start after a crash to write."""
        return TaskRow(
            task_id,
            RESTORE_TASK,
            self.description,
            Priority.HIGHEST,
            self.trigger,
            self.queued_at,
            started_at,
        )

    async def task_ended(self, error: str | None) -> None:
        """The task ended before the swap began (a failed check, a cancel): report that."""
        if not self.swapping:
            await self._notify(error or "Error: The restore did not start.")

    async def cut_off_by(
        self,
        other: "asyncio.Task[str | None]",
        record_failed_first: Callable[[str, int | None, str], Awaitable[None]],
    ) -> None:
        """Tell the caller that this restore never ran: ``other`` closed the account first. When
        ``other`` failed, the account it put back holds this restore's row: ``record_failed_first``
        writes there what the caller is told."""
        try:
            replaced = await asyncio.shield(other) is None
        except Exception:
            replaced = False
        if replaced:
            await self._notify(_replaced_first(self.source))
            return
        try:
            await record_failed_first(self.account, self.task_id, _failed_first(self.source))
        except Exception:
            log.exception("Could not record the end of restore task %s", self.task_id)
        await self._notify(_failed_first(self.source))

    async def swap(self, journal: SwapJournal) -> str | None:
        """Apply the restore; returns its error (None: the account is restored)."""
        error: str | None = None
        try:
            await self._restores.swap(self.account, journal, self.log)
        except Exception as failure:
            log.error("Restore of %s failed: %s", self.account, failure)
            error = f"Error: {failure}"
            self.log(None, error)
        finally:
            self.log.forward = None
        await self._record(self.account, self, error)
        await self._notify(error)
        return error

    async def _notify(self, error: str | None) -> None:
        callback, self.on_completion = self.on_completion, None
        if callback is None:
            return
        with contextlib.suppress(Exception):
            result = callback(error)
            if inspect.isawaitable(result):
                await result


def _replaced_first(source: str) -> str:
    return (
        "Task cancelled: another restore replaced the account before this one could run; "
        f'restore "{source}" again if you still want it.'
    )


def _failed_first(source: str) -> str:
    return (
        "Task cancelled: another restore, which failed, closed the account before this one "
        f'could run; restore "{source}" again if you still want it.'
    )


def build_backup_api(
    accounts: AccountRegistry,
    events: EventBus,
    relayer: Relayer,
    files_of: Callable[[str], ServerFiles],
    limits: Limits,
    app_version: str,
) -> BackupApi:
    """The backup methods with their domain objects, as the daemon configures them."""
    backups = Backups(
        accounts, files_of, app_version=app_version, keep_last=limits.backup_keep_last
    )
    restores = Restores(
        accounts,
        events,
        load_migrations(schema_dir("account")),
        RestoreLimits(limits.backup_max_uncompressed_bytes, limits.backup_max_ratio),
    )
    return BackupApi(accounts, events, relayer, files_of, backups, restores)
