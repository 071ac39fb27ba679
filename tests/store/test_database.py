"""The database's bulk writes: the commit leaves the checkpoint to its own thread, which then
copies every page into the database file; the writer's automatic checkpoints come back after."""

import asyncio
import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from privatefolio_daemon.store.database import (
    AUTOCHECKPOINT_BYTES,
    PAGE_BYTES,
    Database,
    in_transaction,
)

ROWS = 10_000  # 8 MB: past the automatic checkpoint's 4 MiB


def fill(connection: sqlite3.Connection) -> None:
    connection.executemany(
        "INSERT INTO notes (body) VALUES (?)", ((f"{index:08d}" * 100,) for index in range(ROWS))
    )


def rows_in_database_file(path: Path) -> int:
    """What the main file holds, the write-ahead log ignored."""
    connection = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM notes").fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "account.sqlite")
    await database.write(lambda conn: conn.execute("CREATE TABLE notes (body TEXT)"))
    await database.write(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
    return database


async def test_a_plain_write_checkpoints_in_its_commit(db: Database) -> None:
    def write_and_look(connection: sqlite3.Connection) -> int:
        in_transaction(connection, fill)
        return rows_in_database_file(db.path)

    assert await db.write(write_and_look) == ROWS
    await db.close()


async def test_a_bulk_write_commits_to_the_log_and_checkpoints_afterwards(db: Database) -> None:
    def write_and_look(connection: sqlite3.Connection) -> int:
        in_transaction(connection, fill)
        return rows_in_database_file(db.path)

    assert await db.bulk_write(write_and_look) == 0
    assert await db.fetch_one("SELECT COUNT(*) FROM notes") == (ROWS,)
    await db.checkpointed()
    assert rows_in_database_file(db.path) == ROWS
    await db.close()


async def test_the_automatic_checkpoint_comes_back_after_a_failed_bulk_write(db: Database) -> None:
    def fail(connection: sqlite3.Connection) -> None:
        in_transaction(connection, fill)
        raise RuntimeError("the import broke")

    with pytest.raises(RuntimeError, match="the import broke"):
        await db.bulk_write(fail)
    pages = await db.write(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    assert pages == AUTOCHECKPOINT_BYTES // PAGE_BYTES == 256
    await db.checkpointed()
    assert rows_in_database_file(db.path) == ROWS
    await db.close()


async def test_close_waits_for_the_checkpoint_and_removes_the_log(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await db.bulk_write(lambda conn: in_transaction(conn, fill))
        await db.close()
    assert not db.path.with_name(f"{db.path.name}-wal").exists()
    assert rows_in_database_file(db.path) == ROWS
    assert "Checkpoint" not in caplog.text


async def test_bulk_writes_in_a_row_are_all_checkpointed(db: Database) -> None:
    for _ in range(3):
        await db.bulk_write(lambda conn: in_transaction(conn, fill))
    await db.checkpointed()
    assert rows_in_database_file(db.path) == 3 * ROWS
    await db.close()


async def test_dropping_an_index_does_not_rewrite_the_pages_it_frees(db: Database) -> None:
    """The bulk loader and large deletions drop indexes: their pages are only marked free."""
    await db.write(lambda connection: in_transaction(connection, fill))
    await db.write(lambda connection: connection.execute("CREATE INDEX notes_body ON notes (body)"))
    await db.write(
        lambda connection: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    )

    await db.write(lambda connection: connection.execute("DROP INDEX notes_body"))

    log = db.path.with_name(db.path.name + "-wal")
    assert log.stat().st_size < ROWS * 800 / 4  # the index took 8 MB; zeroing it would log as much


async def test_the_writer_counts_the_writes_it_holds_those_whose_caller_gave_up_too(
    db: Database,
) -> None:
    """``writes_unfinished`` tells a task queue whether the writer holds other work; a write
    cancelled before it began, or whose caller stopped waiting, must not count for ever."""
    started, release = threading.Event(), threading.Event()

    def held(_: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)

    holding = asyncio.ensure_future(db.write(held))
    await asyncio.to_thread(started.wait, 10)
    never_begun = asyncio.ensure_future(db.write(fill))
    behind = db.write_soon(lambda conn: conn.execute("INSERT INTO notes VALUES ('behind')"))
    await asyncio.sleep(0)
    counted_while_held = db.writes_unfinished
    never_begun.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await never_begun  # its write taken back from the thread before the thread is free
    release.set()
    await holding
    await behind

    assert counted_while_held == 3
    assert db.writes_unfinished == 0
    assert await db.fetch_all("SELECT body FROM notes") == [("behind",)]
