"""Server-task methods: listing, logs, cancelling, the queue, and a test task."""

import asyncio
import time
from collections.abc import Sequence
from sqlite3 import Connection
from typing import Any

from privatefolio_daemon.api.client_queries import (
    ClientQuery,
    FrontendTable,
    client_count,
    client_rows,
    map_rows,
)
from privatefolio_daemon.api.subscriptions import subscribe
from privatefolio_daemon.domain.accounts import AccountRegistry, shown_name
from privatefolio_daemon.domain.errors import BusyError, InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress, read_task_log
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, rpc_method
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.client_sql import run_client_query
from privatefolio_daemon.store.database import Row
from privatefolio_daemon.store.server_tasks import task_to_wire
from privatefolio_daemon.store.task_log_files import task_log_path
from privatefolio_daemon.store.unwritten_tasks import reading_unwritten

SERVER_TASKS = FrontendTable(
    "SELECT * FROM server_tasks ORDER BY id DESC",
    "SELECT COUNT(*) FROM server_tasks",
)

_TRIGGERS_SQL = (
    "SELECT DISTINCT trigger FROM server_tasks WHERE trigger IS NOT NULL ORDER BY trigger"
)

MAX_LOG_CHARS = 50_000
MAX_SLEEP_SECONDS = 86_400
MIN_SLEEP_STEP_SECONDS = 0.01


class TasksApi:
    def __init__(
        self, accounts: AccountRegistry, relayer: Relayer, events: EventBus, limits: Limits
    ) -> None:
        self._accounts = accounts
        self._relayer = relayer
        self._events = events
        self._budget = limits.client_sql_time_budget_seconds

    @rpc_method()
    async def getServerTasks(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Tasks of the account, newest first (or the rows of ``query``, read by position)."""
        rows = await client_rows(
            self._accounts.get(accountName),
            query,
            params,
            default_sql=SERVER_TASKS.select_sql,
            budget_seconds=self._budget,
            run=self._with_unwritten(accountName),
        )
        return await map_rows(rows, task_to_wire, query)

    @rpc_method()
    async def countServerTasks(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many tasks (or the first column of ``query``'s first row)."""
        return await client_count(
            self._accounts.get(accountName),
            query,
            params,
            default_sql=SERVER_TASKS.count_sql,
            budget_seconds=self._budget,
            run=self._with_unwritten(accountName),
        )

    @rpc_method(none_is_nothing=True)
    async def getServerTask(self, accountName: str, taskId: int) -> dict[str, Any] | None:
        """One task, or null."""
        db = self._accounts.get(accountName)
        row = self._unwritten(accountName, taskId)
        if row is None:
            row = await db.fetch_one("SELECT * FROM server_tasks WHERE id = ?", (taskId,))
        return None if row is None else task_to_wire(row)

    @rpc_method()
    async def getTriggers(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """Distinct triggers of the tasks, ascending (or the first column of query's rows)."""
        rows = await client_rows(
            self._accounts.get(accountName),
            query,
            params,
            default_sql=_TRIGGERS_SQL,
            budget_seconds=self._budget,
            run=self._with_unwritten(accountName),
        )
        return [row[0] for row in rows]

    @rpc_method()
    async def getServerTaskLog(self, accountName: str, taskId: int) -> str:
        """The task's progress log, cut to its first 50,000 characters."""
        db = self._accounts.get(accountName)
        path = task_log_path(self._accounts.logs_dir(accountName), taskId)
        try:
            return await asyncio.to_thread(read_task_log, path, MAX_LOG_CHARS)
        except FileNotFoundError as error:
            if self._unwritten(accountName, taskId) is None and (
                await db.fetch_one("SELECT 1 FROM server_tasks WHERE id = ?", (taskId,)) is None
            ):
                raise NotFoundError(f"Task {taskId} does not exist") from error
            raise NotFoundError(f"Task {taskId} has no log (it never started)") from error

    def _with_unwritten(self, account: str) -> ClientQuery:
        """How a query of the account's tasks runs: with the rows its busy writer has not
        written yet (decision 0018)."""
        return _reading(self._relayer.unwritten_tasks(account))

    def _unwritten(self, account: str, task_id: int) -> Row | None:
        return next(
            (row for row in self._relayer.unwritten_tasks(account) if row[0] == task_id), None
        )

    @rpc_method()
    async def cancelTask(self, accountName: str, taskId: int) -> None:
        """Cancel a queued task, or abort a running one.

        Refused (-32004) once the task's work can no longer stop: a restore that has begun to
        swap the account's files, which then finishes."""
        why = self._relayer.why_not_cancellable(accountName, taskId)
        if why is not None:
            raise BusyError(f"Task with id {taskId} can no longer be cancelled: {why}")
        await self._queue_of(accountName).cancel(taskId)

    @rpc_method()
    async def getTaskQueue(self, accountName: str) -> dict[str, Any]:
        """The running task and the queued ones, in the order they will run."""
        return self._queue_of(accountName).snapshot()

    def _queue_of(self, account: str) -> AccountTaskQueue:
        """The account's queue; while it stops or starts for a reset or a restore, "try again in
        a moment", not that the account does not exist (as it is, once deleted or renamed)."""
        self._accounts.get(account)
        try:
            return self._relayer.queue(account)
        except NotFoundError:
            reason = self._accounts.closed_for(account)
            if reason is None:
                raise
            raise BusyError(
                f"Account {shown_name(account)} is {reason}; try again in a moment"
            ) from None

    @rpc_method()
    async def subscribeToServerTasks(
        self, ctx: CallContext, accountName: str, callback: RemoteFunction
    ) -> str:
        """Call ``callback()`` whenever a task of the account is queued, starts or ends."""
        self._accounts.get(accountName)
        return subscribe(ctx, self._events, "server-tasks", callback, account=accountName)

    @rpc_method()
    async def subscribeToServerTaskProgress(
        self, ctx: CallContext, accountName: str, taskId: int, callback: RemoteFunction
    ) -> str:
        """Call ``callback(logLine)`` for each progress line of one task."""
        self._accounts.get(accountName)

        def on_progress(changed_task: int, line: str) -> None:
            if changed_task == taskId:
                callback(line)

        return subscribe(
            ctx,
            self._events,
            "server-task-progress",
            callback,
            account=accountName,
            listener=on_progress,
        )

    @rpc_method()
    async def enqueueSleep(
        self,
        ctx: CallContext,
        accountName: str,
        seconds: float,
        step: float = 1,
        wasteCpu: bool = False,
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """A test task "Sleep" that reports progress every ``step`` seconds.

        At most a day, so a typo cannot hold the account's queue for longer; a step of at least
        10 ms, so the log does not fill with a line per microsecond.
        """
        _check_sleep(seconds, step)
        ctx.keep_until_called(onCompletion)
        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name="Sleep",
                description=f"Sleep for {seconds:g} seconds",
                priority=Priority.HIGHEST,
                function=sleep_task(seconds, step, wasteCpu),
                trigger="user",
                determinate=True,
                on_completion=onCompletion,
            ),
        )


def _reading(unwritten: Sequence[Row]) -> ClientQuery:
    def run(connection: Connection, sql: str, params: Sequence[Any], budget: float) -> list[Row]:
        query = reading_unwritten(
            unwritten, lambda conn: run_client_query(conn, sql, params, budget)
        )
        return query(connection)

    return run


def _check_sleep(seconds: float, step: float) -> None:
    if not 0 < seconds <= MAX_SLEEP_SECONDS:
        raise InvalidInputError(
            f"seconds must be above 0 and at most {MAX_SLEEP_SECONDS} (one day), not {seconds:g}"
        )
    if not step >= MIN_SLEEP_STEP_SECONDS:
        raise InvalidInputError(
            f"step must be at least {MIN_SLEEP_STEP_SECONDS:g} seconds, not {step:g}"
        )


def sleep_task(seconds: float, step: float, waste_cpu: bool) -> Any:
    async def run(progress: TaskProgress, cancel: CancelToken) -> None:
        slept = 0.0
        while slept < seconds:
            cancel.checkpoint()
            duration = min(step, seconds - slept)
            if waste_cpu:
                await asyncio.to_thread(_burn_cpu, duration, cancel)
            else:
                await asyncio.sleep(duration)
            slept += duration
            progress(slept * 100 / seconds, f"Slept for {slept:g} seconds")
        cancel.checkpoint()  # a cancel can cut the last step short

    return run


def _burn_cpu(seconds: float, cancel: CancelToken) -> None:
    deadline = time.monotonic() + seconds
    total = 0
    while time.monotonic() < deadline and not cancel.cancelled:
        total += sum(i * i for i in range(1000))
