"""An account's connections give their page caches back when asked (``release_memory``)."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.heap_trim import trim_heap
from privatefolio_daemon.store.database import Database, in_transaction
from tests.process_memory import needs_malloc_trim, rss_mb

ROWS = 10_000
BODY = "x" * 4_000  # 40 MB in all: within the writer's 64 MiB cache


def fill(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.executemany("INSERT INTO notes (body) VALUES (?)", ((BODY,) for _ in range(ROWS)))


@needs_malloc_trim
async def test_release_frees_the_pages_the_writer_cached(tmp_path: Path) -> None:
    db = Database(tmp_path / "account.sqlite")
    try:
        await db.write(lambda connection: in_transaction(connection, fill))
        trim_heap()
        before = rss_mb()

        await db.release_memory()
        trim_heap()

        assert before - rss_mb() >= 25
        assert await db.fetch_one("SELECT COUNT(*) FROM notes") == (ROWS,)
    finally:
        await db.close()


async def test_release_after_close_does_nothing(tmp_path: Path) -> None:
    db = Database(tmp_path / "account.sqlite")
    await db.write(lambda connection: in_transaction(connection, fill))
    await db.close()

    await db.release_memory()

    assert db.closed
