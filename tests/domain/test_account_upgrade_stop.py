"""A stop during an account's upgrade stops it even when no statement runs as it comes, so that
SQLite would drop the interrupt: here while the writer waits for another program's lock on the
file before its first statement. The account stays at its version, with no copy made."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from privatefolio_daemon.domain.accounts import AccountRegistry
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.api.manual_entries import until

MIGRATIONS = load_migrations(schema_dir("account"))


def account_of_schema_1(path: Path) -> None:
    path.parent.mkdir(parents=True)
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, MIGRATIONS[:1], path)
    connection.close()


def writer_started() -> bool:
    return any(thread.name.startswith("db-write-stopped_") for thread in threading.enumerate())


def files_in(directory: Path) -> list[str]:
    return sorted(file.name for file in directory.iterdir())


async def test_a_stop_while_the_upgrade_waits_for_a_lock_stops_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "data" / "databases" / "stopped.sqlite"
    account_of_schema_1(path)
    other_program = sqlite3.connect(path, isolation_level=None)
    other_program.execute("BEGIN EXCLUSIVE")
    accounts = AccountRegistry(
        tmp_path / "data", EventBus(), MIGRATIONS, Limits(db_busy_timeout_ms=600_000)
    )
    opening = asyncio.create_task(accounts.open_existing())
    await until(writer_started)

    opening.cancel()
    for _ in range(3):  # the cancelled open asks the writer to stop, then waits for it
        await asyncio.sleep(0)
    other_program.execute("ROLLBACK")
    other_program.close()
    with pytest.raises(asyncio.CancelledError):
        await opening
    await until(lambda: not writer_started())

    assert files_in(path.parent) == ["stopped.sqlite"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)
