"""One account's task queue: highest priority first, first in first out within a priority.

Every task is a row in ``server_tasks`` from the moment it is queued; while the account's writer
holds other work, a row it has not written yet is read as if it were (``task_rows.py``). The
queue runs one task at a time, and a slot shared by all accounts caps how many accounts run a
task at once.
"""

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.errors import BusyError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted, TaskHandedOff
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_rows import TaskRows, queued_row
from privatefolio_daemon.relayer.task_types import Conclusion, TaskSpec
from privatefolio_daemon.relayer.unwritten_journal import UnwrittenJournal
from privatefolio_daemon.store import notifications, server_tasks
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.task_log_files import task_log_path

log = logging.getLogger(__name__)

CANCELLED_BY_USER = "Task cancelled by user."
ABORTED_BY_USER = "Task aborted by user."
SERVER_RESTARTED = "Server restarted."
SERVER_STOPPING = "Server shutting down."
HANDED_OFF = "handed-off"
#: A task the daemon started itself (at start-up, for a new account, on a schedule, or as a
#: side effect) fails with no one watching: the user gets a notification.
UNATTENDED_TRIGGERS = frozenset({"system", "cron", "side-effect"})


@dataclass(slots=True)
class _Entry:
    task_id: int
    spec: TaskSpec
    created_at: int
    merged: list[TaskSpec] = field(default_factory=list)
    """Specs queued while this one waited, under the same name: their callers are told too."""


@dataclass(slots=True)
class _Running:
    entry: _Entry
    token: CancelToken
    task: asyncio.Task[Any]
    started_at: int
    progress: TaskProgress


class AccountTaskQueue:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        logs_dir: Path,
        slots: asyncio.Semaphore,
        *,
        cancel_grace_seconds: float = 5.0,
        notified: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None,
        on_idle: Callable[[str], None] | None = None,
    ) -> None:
        self.account = account
        self._notified = notified
        self._on_idle = on_idle
        """Called with the account each time the last queued task has run."""
        self.tasks_taken = 0
        """How many tasks the queue has taken to run since it was made."""
        self._db = db
        self._events = events
        self._logs_dir = logs_dir
        self.rows = TaskRows(db, UnwrittenJournal(logs_dir), self._changed)
        self._slots = slots
        self._grace = cancel_grace_seconds
        self._heap: list[tuple[int, int, _Entry]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._enqueuing = asyncio.Lock()
        self._running: _Running | None = None
        self._starting: tuple[_Entry, CancelToken, int] | None = None  # and its startedAt
        """The task taken from the heap whose row is being marked running, and its token."""
        self._ending: tuple[int, str] | None = None
        """The id of the task that has ended and whose end is being recorded, and its status."""
        self._stopping = False
        self._stop_reason = ""
        self._refusing: str | None = None
        """Why a task a user starts is refused for now (the account is about to close)."""
        self._runner: asyncio.Task[None] | None = None
        self._watchdogs: set[asyncio.Task[None]] = set()
        self._pushes: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> list[str]:
        """Recover rows a previous process left behind, then start running; returns the names of
        the tasks it ended so (``Server restarted.``)."""
        recovered = await self.rows.recover(SERVER_RESTARTED)
        if recovered:
            self._changed()
        self._stopping = False
        self._runner = asyncio.create_task(self._run_loop(), name=f"tasks-{self.account}")
        return recovered

    async def stop(self, reason: str = SERVER_STOPPING) -> None:
        """Stop running: the running task is aborted with ``reason``, and the callers of queued
        tasks hear at once that they were cancelled. At a shutdown the queued rows stay queued
        (the next start cancels them, "Server restarted."); when only the account closes, they
        are cancelled now, with the reason, since the account may open again at once. Either
        way, every row handed to the writer is written before it returns."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        self._stopping = True
        self._stop_reason = reason
        self._wake.set()
        if self._starting is not None:
            self._starting[1].cancel(reason)
        if self._running is not None:
            self._abort(self._running, reason)
        # The run in progress ends on its own, its row written, unless its task ignores the abort.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(runner), self._grace)
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        async with self._enqueuing:  # an enqueue under way (past its check) lands first
            queued = [entry for _, _, entry in sorted(self._heap)]
            self._heap.clear()
        cancelled = f"Task cancelled: {reason}"
        if queued and reason != SERVER_STOPPING:
            await self._cancel_rows(queued, cancelled)
        await self.rows.settled()
        for entry in queued:
            await _notify(entry, cancelled)

    async def _cancel_rows(self, entries: list[_Entry], error: str) -> None:
        ids = [entry.task_id for entry in entries]
        try:
            await self.rows.write(lambda conn: server_tasks.cancel_queued(conn, ids, error))
        except Exception:
            log.exception("Could not record the cancel of %d queued tasks", len(ids))
            return
        self._changed()

    # -- queue -------------------------------------------------------------------------------

    async def enqueue(self, spec: TaskSpec) -> int:
        return (await self.enqueue_many([spec]))[0]

    async def enqueue_many(self, specs: list[TaskSpec]) -> list[int]:
        """Queue tasks together; a task whose name is already queued returns that task's id."""
        async with self._enqueuing:  # the check and the insert, with no other enqueue between
            return await self._enqueue_many(specs)

    @contextlib.asynccontextmanager
    async def refusing_user_tasks(self, why: str) -> AsyncIterator[None]:
        """While the block runs, a task a user starts is refused (-32004, ``why``): a close the
        block decides on cannot cut it off. An enqueue under way lands before the block starts."""
        self._refusing = why
        try:
            async with self._enqueuing:
                pass
            yield
        finally:
            self._refusing = None

    async def _enqueue_many(self, specs: list[TaskSpec]) -> list[int]:
        if self._stopping:  # nothing would run it: the caller would wait in vain
            raise BusyError(f"No task can start now: {self._stop_reason}")
        if self._refusing is not None and any(spec.trigger == "user" for spec in specs):
            raise BusyError(self._refusing)
        created_at = now_ms()
        found = [self._queued_entry(spec) for spec in specs]
        entries = [
            entry or _Entry(self.rows.next_id(), spec, created_at)
            for spec, entry in zip(specs, found, strict=True)
        ]
        new = [entry for entry, old in zip(entries, found, strict=True) if old is None]
        for entry in new:  # on the heap before its row is written: a caller cancelled leaves it
            heapq.heappush(self._heap, (-entry.spec.priority, next(self._order), entry))
        try:
            if new:
                await self.rows.insert([queued_row(e.task_id, e.spec, e.created_at) for e in new])
        except Exception:
            self._drop(new)
            raise
        for spec, old in zip(specs, found, strict=True):
            if old is not None and spec.on_completion is not None:
                old.merged.append(spec)
        self._changed()
        self._wake.set()
        return [entry.task_id for entry in entries]

    def _drop(self, entries: list[_Entry]) -> None:
        """Take off the heap the entries whose rows could not be written."""
        dropped = {entry.task_id for entry in entries}
        self._heap = [item for item in self._heap if item[2].task_id not in dropped]
        heapq.heapify(self._heap)

    async def cancel(self, task_id: int) -> None:
        if self._running is not None and self._running.entry.task_id == task_id:
            if not self._running.token.cancelled:  # once asked, it stops, or sees a commit through
                self._abort(self._running, ABORTED_BY_USER)
            return
        if self._starting is not None and self._starting[0].task_id == task_id:
            self._starting[1].cancel(ABORTED_BY_USER)  # aborted as soon as it starts
            return
        if self._ending is not None and self._ending[0] == task_id:  # its row still reads running
            raise NotFoundError(f"Task with id {task_id} has already ended ({self._ending[1]}).")
        for index, (_, _, entry) in enumerate(self._heap):
            if entry.task_id == task_id:
                self._heap.pop(index)
                heapq.heapify(self._heap)
                await self._cancel_queued(entry)
                return
        status = self.rows.unwritten_status(task_id)
        if status is None:
            row = await self._db.fetch_one(
                "SELECT status FROM server_tasks WHERE id = ?", (task_id,)
            )
            status = None if row is None else str(row[0])
        if status is not None:
            raise NotFoundError(f"Task with id {task_id} has already ended ({status}).")
        raise NotFoundError(f"Task with id {task_id} not found.")

    async def _cancel_queued(self, entry: _Entry) -> None:
        ended = {"status": "cancelled", "completedAt": now_ms(), "errorMessage": CANCELLED_BY_USER}
        await self.rows.end_queued(queued_row(entry.task_id, entry.spec, entry.created_at), **ended)
        self._changed()
        await _notify(entry, CANCELLED_BY_USER)

    def snapshot(self) -> dict[str, Any]:
        """What runs now and what waits, in the order it will run."""
        queued = [entry for _, _, entry in sorted(self._heap)]
        running = None
        if self._running is not None:
            entry = self._running.entry
            running = _describe(entry) | {"startedAt": self._running.started_at}
        elif self._starting is not None:  # its row is being marked running
            entry, _, started_at = self._starting
            running = _describe(entry) | {"startedAt": started_at}
        return {"running": running, "queued": [_describe(entry) for entry in queued]}

    def _queued_entry(self, spec: TaskSpec) -> _Entry | None:
        if not spec.deduplicate:
            return None
        return next(
            (
                entry
                for _, _, entry in self._heap
                if entry.spec.deduplicate
                and (entry.spec.name, entry.spec.merge_key) == (spec.name, spec.merge_key)
            ),
            None,
        )

    # -- running -----------------------------------------------------------------------------

    async def _run_loop(self) -> None:
        while not self._stopping:
            while not self._heap and not self._stopping:
                self._wake.clear()
                await self._wake.wait()
            async with self._slots:
                if self._heap and not self._stopping:
                    _, _, entry = heapq.heappop(self._heap)
                    await self._run_or_fail(entry)
            if not self._heap and self._on_idle is not None:
                self._on_idle(self.account)

    async def _run_or_fail(self, entry: _Entry) -> None:
        """Run a task; whatever goes wrong in the queue's own bookkeeping, the queue goes on."""
        self.tasks_taken += 1
        try:
            await self._run(entry)
        except Exception:
            log.exception(
                "Task %s of %s: the queue's bookkeeping failed", entry.spec.name, self.account
            )

    async def _run(self, entry: _Entry) -> None:
        token = CancelToken()
        try:
            started_at, progress = await self._start(entry, token)
        except Exception as failure:  # its row could not be marked running, say
            await self._not_started(entry, failure)
            return
        task = asyncio.create_task(entry.spec.function(progress, token))
        self._running = _Running(entry, token, task, started_at, progress)
        if token.reason is not None:  # cancelled while its row was being marked running
            self._abort(self._running, token.reason)
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the queue itself is stopping
            self._abort(self._running, SERVER_STOPPING)
            await asyncio.wait({task}, timeout=self._grace)
            raise
        finally:
            self._running = None
            status, error = _outcome(task, token)
            if status == HANDED_OFF:
                await self._hand_off(entry, progress)
            else:
                result = task.result() if status == "completed" else None
                if isinstance(result, Conclusion):
                    progress.conclude(result.line)
                self._ending = (entry.task_id, status)
                try:
                    await self._end(entry, status, error, progress, started_at)
                finally:
                    self._ending = None

    async def _start(self, entry: _Entry, token: CancelToken) -> tuple[int, TaskProgress]:
        """Mark the task's row running and open its log."""
        started_at = now_ms()
        self._starting = (entry, token, started_at)
        try:
            marked = await self.rows.write(
                lambda conn: server_tasks.patch_task(
                    conn, entry.task_id, status="running", startedAt=started_at
                )
            )
            if not marked:  # its row, handed to a busy writer, could not be written
                raise LookupError(f"the task's row {entry.task_id} was never written")
        finally:
            self._starting = None
        self._changed()
        progress = TaskProgress(
            task_log_path(self._logs_dir, entry.task_id),
            entry.task_id,
            self.account,
            self._events,
        )
        progress(None, "Starting task")
        return started_at, progress

    async def _not_started(self, entry: _Entry, error: Exception) -> None:
        log.error("Task %s of %s could not start", entry.spec.name, self.account, exc_info=error)
        message = f"Error: the task could not start: {error}"
        try:
            await self._finish_row(entry, "failed", message, started_at=None)
        except Exception:
            log.exception("Task %d could not be marked failed", entry.task_id)
        await _notify(entry, message)

    async def _end(
        self,
        entry: _Entry,
        status: str,
        error: str | None,
        progress: TaskProgress,
        started_at: int,
    ) -> None:
        """Record how the task ended and tell its callers; a failure to record it is logged (a
        restart then marks the row), and the callers still hear the task's own outcome."""
        if error is not None:
            progress.conclude(_outcome_line(status, error))
        progress.close()
        if status == "failed":
            log.warning("Task %s of %s failed: %s", entry.spec.name, self.account, error)
        try:
            if status == "failed" and entry.spec.trigger in UNATTENDED_TRIGGERS:
                await self._tell_the_user(entry, error or "")  # there once the task reads failed
            await self._finish_row(entry, status, error, started_at=started_at)
        except Exception:
            log.exception("Task %d ended %s, which could not be recorded", entry.task_id, status)
        await _notify(entry, error)

    async def _hand_off(self, entry: _Entry, progress: TaskProgress) -> None:
        """The task's work goes on outside the queue, which records its end (TaskHandedOff)."""
        progress.release_file()
        await self.rows.write(lambda conn: server_tasks.delete_task(conn, entry.task_id))
        self._changed()

    def _abort(self, running: _Running, reason: str) -> None:
        running.token.cancel(reason)
        running.task.cancel()
        watchdog = asyncio.create_task(self._watch(running))
        self._watchdogs.add(watchdog)
        watchdog.add_done_callback(self._watchdogs.discard)

    async def _watch(self, running: _Running) -> None:
        done, _ = await asyncio.wait({running.task}, timeout=self._grace)
        if not done:
            message = (
                f"Task {running.entry.task_id} ({running.entry.spec.name}) did not stop within "
                f"{self._grace:g} s of being cancelled; it is still running."
            )
            log.warning("%s: %s", self.account, message)
            running.progress(None, message)

    async def _finish_row(
        self, entry: _Entry, status: str, error: str | None, started_at: int | None
    ) -> None:
        completed_at = now_ms()
        fields: dict[str, Any] = {"status": status, "completedAt": completed_at}
        if started_at is not None:
            fields["duration"] = completed_at - started_at
        if error is not None:
            fields["errorMessage"] = error
        await self.rows.write(lambda conn: server_tasks.patch_task(conn, entry.task_id, **fields))
        self._changed()

    def _changed(self) -> None:
        self._events.emit("server-tasks", account=self.account)

    async def _tell_the_user(self, entry: _Entry, error: str) -> None:
        """A notification for a task no one asked for (a cron, the refresh chain) that failed."""
        title = f"{entry.spec.name} failed"
        metadata = {"taskId": entry.task_id, "trigger": entry.spec.trigger}
        created = now_ms() // 1000
        added = await self._db.write(
            lambda conn: notifications.notify(conn, title, error, created, metadata)
        )
        self._events.emit("notifications", "created" if added else "updated", account=self.account)
        if added and self._notified is not None:
            notification = {"title": title, "text": error, "createdAt": created}
            push = asyncio.create_task(self._push(notification))
            self._pushes.add(push)
            push.add_done_callback(self._pushes.discard)

    async def _push(self, notification: dict[str, Any]) -> None:
        """Off the queue's path: a slow push service never holds up the next task."""
        assert self._notified is not None
        try:
            await self._notified(self.account, notification)
        except Exception:
            log.exception("%s: pushing %r failed", self.account, notification["title"])


def _outcome(task: asyncio.Task[Any], token: CancelToken) -> tuple[str, str | None]:
    """The final status and error message of a task that ran. A task that returned did its
    work, even if it was asked to stop after its last checkpoint."""
    if not task.done():
        return "aborted", token.reason or SERVER_STOPPING
    if task.cancelled():
        return "aborted", token.reason or SERVER_STOPPING
    failure = task.exception()
    if isinstance(failure, TaskHandedOff):
        return HANDED_OFF, None
    if isinstance(failure, TaskAborted):
        return "aborted", str(failure)
    if failure is not None:
        return "failed", f"Error: {failure}"
    return "completed", None


def _outcome_line(status: str, error: str) -> str:
    """The log's last line for a run that did not complete: its error, or that it was aborted."""
    if status == "failed" or error == ABORTED_BY_USER:
        return error
    return f"Task aborted: {error}"


def _describe(entry: _Entry) -> dict[str, Any]:
    spec = entry.spec
    return {
        "id": entry.task_id,
        "name": spec.name,
        "priority": spec.priority,
        "trigger": spec.trigger,
        **({"groupId": spec.group_id} if spec.group_id else {}),
    }


async def _notify(entry: _Entry, error: str | None) -> None:
    """Tell the callers of the task, and of those merged into it, how it ended."""
    for spec in (entry.spec, *entry.merged):
        if spec.on_completion is None:
            continue
        try:
            result = spec.on_completion(error)
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
        except Exception:
            log.exception("A task's completion callback failed")
