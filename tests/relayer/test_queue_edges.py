"""The moments between a queue's states: a task being started, a queue being stopped."""

import asyncio
import sqlite3
import threading
from collections.abc import Callable

from privatefolio_daemon.domain.errors import NotFoundError
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import TaskSpec
from privatefolio_daemon.store.database import Database
from tests.relayer.conftest import task_rows, wait_for_status


async def forever(progress: TaskProgress, cancel: CancelToken) -> None:
    await asyncio.Event().wait()


async def test_a_task_cancelled_while_it_is_being_started_is_aborted(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    task_id = await queue.enqueue(TaskSpec("Waiting", "Waiting", 5, forever))
    await asyncio.sleep(0)  # the queue takes it and marks its row running: neither queued nor run
    await queue.cancel(task_id)
    assert await wait_for_status(account_db, task_id, "aborted", "cancelled") == "aborted"
    assert (await task_rows(account_db))[0][3] == "Task aborted by user."


async def test_a_stopped_queue_writes_the_end_of_its_running_task(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    for _ in range(20):
        running = asyncio.Event()

        async def waiting(
            progress: TaskProgress, cancel: CancelToken, running: asyncio.Event = running
        ) -> None:
            running.set()
            await asyncio.Event().wait()

        task_id = await queue.enqueue(TaskSpec("Waiting", "Waiting", 5, waiting))
        await running.wait()
        await queue.stop()
        row = await account_db.fetch_one(
            "SELECT status, errorMessage FROM server_tasks WHERE id = ?", (task_id,)
        )
        assert row == ("aborted", "Server shutting down."), task_id
        await queue.start()


async def quick(progress: TaskProgress, cancel: CancelToken) -> None:
    return None


async def test_tasks_of_one_name_queued_at_once_make_one_row(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    running = asyncio.Event()
    release = asyncio.Event()

    async def blocker(progress: TaskProgress, cancel: CancelToken) -> None:
        running.set()
        await release.wait()

    await queue.enqueue(TaskSpec("Blocker", "Blocker", 9, blocker))
    await running.wait()
    ids = await asyncio.gather(
        *(queue.enqueue(TaskSpec("Refresh", "Refresh", 5, quick)) for _ in range(10))
    )
    assert len(set(ids)) == 1
    release.set()
    await wait_for_status(account_db, ids[0], "completed")
    assert [(row[1], row[2]) for row in await task_rows(account_db)] == [
        ("Blocker", "completed"),
        ("Refresh", "completed"),
    ]


async def test_every_caller_of_a_merged_task_hears_how_it_ended(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    release = asyncio.Event()

    async def blocker(progress: TaskProgress, cancel: CancelToken) -> None:
        await release.wait()

    heard: list[tuple[str, str | None]] = []

    def told(caller: str) -> Callable[[str | None], None]:
        return lambda error: heard.append((caller, error))

    await queue.enqueue(TaskSpec("Blocker", "Blocker", 9, blocker))
    first = await queue.enqueue(TaskSpec("Refresh", "Refresh", 5, quick, on_completion=told("a")))
    again = await queue.enqueue(TaskSpec("Refresh", "Refresh", 5, quick, on_completion=told("b")))
    cancelled = await queue.enqueue(TaskSpec("Other", "Other", 5, quick, on_completion=told("c")))
    merged = await queue.enqueue(TaskSpec("Other", "Other", 5, quick, on_completion=told("d")))
    assert (first, cancelled) == (again, merged)
    await queue.cancel(cancelled)
    release.set()
    await wait_for_status(account_db, first, "completed")
    assert sorted(heard, key=str) == [
        ("a", None),
        ("b", None),
        ("c", "Task cancelled by user."),
        ("d", "Task cancelled by user."),
    ]


async def test_a_task_whose_end_waits_for_the_writer_is_not_cancelled_and_says_how_it_ended(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    """The task returned, and its row waits for the writer (held here, as a long client write
    holds it): cancelling it answers how it ended, not that it "ended (running)"."""
    finish = asyncio.Event()

    async def until_finished(progress: TaskProgress, cancel: CancelToken) -> None:
        await finish.wait()

    task_id = await queue.enqueue(TaskSpec("Ends", "Ends", 5, until_finished))
    await wait_for_status(account_db, task_id, "running")
    holding, release = threading.Event(), threading.Event()

    def hold(connection: sqlite3.Connection) -> None:
        holding.set()
        release.wait(30)

    held = asyncio.create_task(account_db.write(hold))
    await asyncio.to_thread(holding.wait, 30)
    finish.set()
    while queue.snapshot()["running"] is not None:  # noqa: ASYNC110 (it has not returned yet)
        await asyncio.sleep(0.01)
    try:
        try:
            await queue.cancel(task_id)
        except NotFoundError as error:
            answer = str(error)
        else:
            answer = "cancelled"
    finally:
        release.set()
        await held
    assert answer == f"Task with id {task_id} has already ended (completed)."
    assert await wait_for_status(account_db, task_id, "completed", "aborted") == "completed"
