"""A new database file gets 16 KiB pages; a file made with another page size keeps it, rows and
all, and checkpoints after the same number of bytes."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.store.database import AUTOCHECKPOINT_BYTES, Database


async def _page_size_and_checkpoint(db: Database) -> tuple[int, int]:
    def read(connection: sqlite3.Connection) -> tuple[int, int]:
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        return size, connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    return await db.write(read)


async def test_a_new_file_has_16_kib_pages(tmp_path: Path) -> None:
    db = Database(tmp_path / "new.sqlite")
    await db.write(lambda conn: conn.execute("CREATE TABLE notes (body TEXT)"))
    assert await _page_size_and_checkpoint(db) == (16384, AUTOCHECKPOINT_BYTES // 16384)
    await db.close()
    with sqlite3.connect(tmp_path / "new.sqlite") as reopened:
        assert reopened.execute("PRAGMA page_size").fetchone() == (16384,)


async def test_an_older_file_keeps_its_4_kib_pages_and_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE notes (body TEXT)")
        old.execute("INSERT INTO notes VALUES ('kept')")
    old.close()
    db = Database(path)
    await db.write(lambda conn: conn.execute("INSERT INTO notes VALUES ('added')"))
    assert await _page_size_and_checkpoint(db) == (4096, 1024)
    assert await db.fetch_all("SELECT body FROM notes ORDER BY rowid") == [("kept",), ("added",)]
    await db.close()
