"""Closing a database closes its writer's connection after the work given to the writer before,
also a write whose caller was cancelled while the connection was still being made (a stop
during start-up, while another program holds the file): nothing stays open on the file."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from privatefolio_daemon.store.database import Database
from tests.api.manual_entries import until


def writer_running() -> bool:
    threads = threading.enumerate()
    return any(thread.name.startswith("db-write-closed_after_a_cancel_") for thread in threads)


def files_in(directory: Path) -> list[str]:
    return sorted(file.name for file in directory.iterdir())


async def test_close_closes_a_connection_made_for_a_cancelled_write(tmp_path: Path) -> None:
    path = tmp_path / "closed_after_a_cancel.sqlite"
    other_program = sqlite3.connect(path, isolation_level=None)
    other_program.execute("CREATE TABLE notes (body TEXT)")
    other_program.execute("BEGIN EXCLUSIVE")
    db = Database(path, busy_timeout_ms=600_000)
    writing = asyncio.create_task(db.write(lambda conn: conn.execute("DELETE FROM notes")))
    await until(writer_running)
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing

    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0)
    other_program.execute("ROLLBACK")
    other_program.close()
    await closing
    await until(lambda: not writer_running())

    assert files_in(tmp_path) == ["closed_after_a_cancel.sqlite"]
