"""The files the daemon made for an account (its backups, its exports) outlive a restore.

A backup leaves them out (they are the daemon's output, not the user's data), and a restore
swaps the whole files directory; without this, restoring an older backup would delete every
newer backup, the one way to undo it. Before the swap, each finished system file of the live
account is linked into the staged files directory under its id (a new one if the backup's
database uses it), and its record added to the staged database; a rollback removes both with the
rest of the staged items.
"""

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

_GENERATED = "SELECT * FROM server_files WHERE createdBy = 'system' AND status = 'completed'"


def carry_generated_files(live_db: Path, new_db: Path, live_files: Path, new_files: Path) -> int:
    """Add the live account's generated files to the staged one; returns how many."""
    if not live_db.exists():
        return 0
    reading = f"{live_db.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(reading, uri=True)) as live:
        cursor = live.execute(f"{_GENERATED} ORDER BY id")
        rows = cursor.fetchall()
        columns = [column[0] for column in cursor.description]
    rows = [row for row in rows if (live_files / str(row[columns.index("id")])).is_file()]
    if not rows:
        return 0
    new_files.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(new_db, isolation_level=None)) as new:
        kept = [column for column in _columns(new) if column in columns]
        insert = (
            f"INSERT INTO server_files ({', '.join(kept)}) VALUES ({', '.join('?' for _ in kept)})"
        )
        new.execute("BEGIN IMMEDIATE")
        for row in rows:
            record = dict(zip(columns, row, strict=True))
            if _id_taken(new, record["id"]):
                record["id"] = None
            new_id = new.execute(insert, [record[column] for column in kept]).lastrowid
            _link(live_files / str(row[columns.index("id")]), new_files / str(new_id))
        new.execute("COMMIT")
    return len(rows)


def _id_taken(connection: sqlite3.Connection, file_id: int) -> bool:
    found = connection.execute("SELECT 1 FROM server_files WHERE id = ?", (file_id,)).fetchone()
    return found is not None


def _columns(connection: sqlite3.Connection) -> list[str]:
    return [row[1] for row in connection.execute("PRAGMA table_info(server_files)")]


def _link(source: Path, target: Path) -> None:
    """The same bytes under a second name, without copying them where the system allows."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
