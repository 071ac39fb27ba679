"""A task queued while the writer is busy: its id at once, its row once the writer is free, and,
should the writer fail to write it, a task that never runs and whose callers are told why."""

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.store.database import Database
from tests.relayer.conftest import wait_for_status
from tests.relayer.test_task_queue import recorder, spec

REFUSE_TASK_ROWS = (
    "CREATE TEMP TRIGGER refuse_task_rows BEFORE INSERT ON main.server_tasks "
    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
)


@asynccontextmanager
async def writer_busy(db: Database, then: str | None = None) -> AsyncIterator[None]:
    """The writer inside a transaction until the block ends; ``then``, run in it first, stays."""
    held, release = threading.Event(), threading.Event()

    def hold(connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        if then is not None:
            connection.execute(then)
        held.set()
        release.wait(10)
        connection.execute("COMMIT")

    holding = asyncio.ensure_future(db.write(hold))
    await asyncio.to_thread(held.wait, 10)
    try:
        yield
    finally:
        release.set()
        await holding


async def until(condition: Callable[[], object]) -> None:
    deadline = asyncio.get_running_loop().time() + 5
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


async def test_a_task_queued_while_the_writer_is_busy_has_its_row_once_it_is_free(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    ran: list[str] = []
    async with writer_busy(account_db):
        task_id = await queue.enqueue(spec("Refresh", 5, recorder(ran, "Refresh")))
        unwritten = [row[:3] for row in queue.rows.unwritten()]
        in_the_file = await account_db.fetch_all("SELECT id FROM server_tasks")

    assert (unwritten, in_the_file) == ([(task_id, "Refresh", "Refresh")], [])
    await wait_for_status(account_db, task_id, "completed")
    assert (ran, queue.rows.unwritten()) == (["Refresh"], ())


async def test_a_task_whose_row_the_writer_could_not_write_never_runs(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    ran: list[str] = []
    told: list[str | None] = []
    async with writer_busy(account_db, then=REFUSE_TASK_ROWS):
        task_id = await queue.enqueue(
            spec("Refresh", 5, recorder(ran, "Refresh"), on_completion=told.append)
        )
    await until(lambda: told)
    await account_db.write(lambda connection: connection.execute("DROP TRIGGER refuse_task_rows"))

    assert told == [f"Error: the task could not start: the task's row {task_id} was never written"]
    assert (ran, queue.rows.unwritten()) == ([], ())
    assert await account_db.fetch_all("SELECT id FROM server_tasks") == []
    later = await queue.enqueue(spec("Later", 5, recorder(ran, "Later")))
    await wait_for_status(account_db, later, "completed")
    assert (later, ran) == (task_id + 1, ["Later"])
