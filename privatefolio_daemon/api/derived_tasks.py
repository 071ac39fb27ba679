"""Queueing a derived-data task (balances, prices, net worth) under its Privatefolio name, or
running one that the call waits for."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from privatefolio_daemon.domain.derived_steps import Progress
from privatefolio_daemon.domain.errors import TaskCancelledError, TaskFailedError
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress, progress_update
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskFunction, TaskSpec, Trigger
from privatefolio_daemon.rpc.callbacks import RemoteFunction

T = TypeVar("T")


async def enqueue_task(
    relayer: Relayer,
    account: str,
    name: str,
    function: TaskFunction,
    trigger: Trigger,
    *,
    priority: Priority,
    group_id: str | None = None,
    determinate: bool = True,
) -> int:
    spec = TaskSpec(
        name=name,
        description=f"{name} of {account}",
        priority=priority,
        function=function,
        trigger=trigger,
        determinate=determinate,
        group_id=group_id,
    )
    return await relayer.enqueue(account, spec)


async def run_task(
    relayer: Relayer,
    account: str,
    name: str,
    function: Callable[[Progress, CancelToken], Awaitable[T]],
    *,
    priority: Priority,
    progress: RemoteFunction | None = None,
    determinate: bool = True,
) -> T:
    """Queue ``function`` as a task of its own (never merged with a queued one) and return its
    result once the task has ended; ``progress`` also gets each of its log lines as
    ``[percent, message]``. A failure raises ``TaskFailedError`` with the task's error, an
    abort or cancellation ``TaskCancelledError``."""
    results: list[T] = []
    outcome: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    async def run(task_progress: TaskProgress, cancel: CancelToken) -> None:
        report = task_progress if progress is None else _forwarded(task_progress, progress)
        results.append(await function(report, cancel))

    def ended(error: str | None) -> None:
        if outcome.done():  # the caller went away
            return
        if error is None and results:
            outcome.set_result(results[0])
        else:
            outcome.set_exception(task_error(name, error))

    spec = TaskSpec(
        name=name,
        description=f"{name} of {account}",
        priority=priority,
        function=run,
        trigger="user",
        determinate=determinate,
        on_completion=ended,
        deduplicate=False,
    )
    await relayer.enqueue(account, spec)
    return await outcome


def task_error(name: str, error: str | None) -> TaskFailedError | TaskCancelledError:
    """What a caller waiting for the task ``name`` gets when it ended with ``error`` (a task's
    completion message: ``"Error: …"`` when it failed, anything else when it was stopped)."""
    if error is not None and error.startswith("Error: "):
        return TaskFailedError(f"{name} failed: {error.removeprefix('Error: ')}")
    return TaskCancelledError(f"{name} did not finish: {error}")


def _forwarded(task_progress: TaskProgress, callback: RemoteFunction) -> Progress:
    """The task's progress, each line it writes also sent to the caller's ``callback``."""

    def report(percent: float | None = None, message: str | None = None) -> None:
        if task_progress.accepting:
            callback(progress_update(percent, message))
        task_progress(percent, message)

    return report
