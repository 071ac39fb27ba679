"""A real account database and event bus, for testing queues without a server."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.migrations import load_migrations, migrate


async def open_account_db(path: Path) -> Database:
    db = Database(path)
    migrations = load_migrations(schema_dir("account"))
    await db.write(lambda conn: migrate(conn, migrations, path))
    return db


@pytest.fixture
async def account_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await open_account_db(tmp_path / "main.sqlite")
    yield db
    await db.close()


@pytest.fixture
def events() -> EventBus:
    return EventBus()


@pytest.fixture
async def queue(
    account_db: Database, events: EventBus, tmp_path: Path
) -> AsyncIterator[AccountTaskQueue]:
    task_queue = AccountTaskQueue(
        "main",
        account_db,
        events,
        tmp_path / "logs",
        asyncio.Semaphore(2),
        cancel_grace_seconds=0.3,
    )
    await task_queue.start()
    yield task_queue
    await task_queue.stop()


async def task_rows(db: Database) -> list[tuple[object, ...]]:
    return await db.fetch_all(
        "SELECT id, name, status, errorMessage, trigger, priority FROM server_tasks ORDER BY id"
    )


async def wait_for_status(db: Database, task_id: int, *statuses: str, timeout: float = 5.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await db.fetch_one("SELECT status FROM server_tasks WHERE id = ?", (task_id,))
        if row is not None and row[0] in statuses:
            return str(row[0])
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} is {row}, not {statuses}")
        await asyncio.sleep(0.01)
