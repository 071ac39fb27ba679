"""The tasks a restore cut off before they ran, kept in the restored account, cancelled.

A restore waits for the running task, then closes the account: the tasks still queued never ran,
and their rows were in the database the restore replaces. A client holding one of their ids (an
import wizard polling its group) would find nothing. Each is written into the restored database
as cancelled, under its own id, unless the restored database has a task under that id already.
"""

import contextlib
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.timeutil import now_ms

RESTORED_FIRST = "Task cancelled: the account was restored before it ran."


def carry_unrun_tasks(source: Path, target: Path) -> None:
    """Copy ``source``'s queued tasks into ``target`` as cancelled (two closed databases)."""
    if not source.exists():
        return
    with contextlib.closing(
        sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    ) as old:
        columns = _columns(old)
        rows = old.execute("SELECT * FROM server_tasks WHERE status = 'queued'").fetchall()
    if not rows:
        return
    with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as new:
        kept = [name for name in columns if name in set(_columns(new))]
        ended = {"status": "cancelled", "completedAt": now_ms(), "errorMessage": RESTORED_FIRST}
        values = [
            tuple(ended.get(name, value) for name, value in zip(columns, row, strict=True)
                  if name in kept)
            for row in rows
        ]  # fmt: skip
        marks = ", ".join("?" for _ in kept)
        new.execute("BEGIN IMMEDIATE")
        new.executemany(
            f"INSERT OR IGNORE INTO server_tasks ({', '.join(kept)}) VALUES ({marks})", values
        )
        new.execute("COMMIT")


def _columns(connection: sqlite3.Connection) -> list[str]:
    return [str(row[1]) for row in connection.execute("PRAGMA table_info(server_tasks)")]
