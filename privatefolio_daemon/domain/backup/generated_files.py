"""The files the daemon made for an account (its backups, its exports) outlive a restore.

A backup leaves them out (they are the daemon's output, not the user's data), and a restore
swaps the whole files directory; without this, restoring an older backup would delete every
newer backup, the one way to undo it. Before the swap, each finished system file of the live
account is linked into the staged files directory under its id, and its record added to the
staged database (a file of the backup under that id, from another account or one restored into
a new account, moves to a new id); a rollback removes both with the rest of the staged items.
"""

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

from privatefolio_daemon.store.rows_moved_aside import move_aside

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
            moved = move_aside(new, "server_files", record["id"])
            if moved is not None and (new_files / str(record["id"])).exists():
                (new_files / str(record["id"])).replace(new_files / str(moved))
            new.execute(insert, [record[column] for column in kept])
            _link(live_files / str(record["id"]), new_files / str(record["id"]))
        new.execute("COMMIT")
    return len(rows)


def _columns(connection: sqlite3.Connection) -> list[str]:
    return [row[1] for row in connection.execute("PRAGMA table_info(server_files)")]


def _link(source: Path, target: Path) -> None:
    """The same bytes under a second name, without copying them where the system allows."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
