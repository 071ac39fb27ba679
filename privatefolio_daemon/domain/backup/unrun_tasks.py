"""The tasks a restore cut off before they ran, kept in the restored account, cancelled.

A restore waits for the running task, then closes the account: the tasks still queued never ran
(the close marks them cancelled), and their rows were in the database the restore replaces. A
client holding one of their ids (an import wizard polling its group) would find nothing. Each is
written into the restored database as cancelled, under its own id. A backup made while the task
waited holds a copy of it, which goes; a task of the backup under that id (a backup of another
account) moves to a new id, with its log.
"""

import contextlib
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.account_closed import CANCELLED_BY_CLOSE
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.database import connect_read_only
from privatefolio_daemon.store.rows_moved_aside import move_aside
from privatefolio_daemon.store.task_log_files import task_log_path

RESTORED_FIRST = "Task cancelled: the account was restored before it ran."


def carry_unrun_tasks(source: Path, target: Path, target_logs: Path, closed_at: int) -> None:
    """Copy into ``target`` as cancelled the tasks of ``source`` that the close at ``closed_at``
    cut off (two closed databases); ``target_logs`` holds the task logs that come with
    ``target``."""
    if not source.exists():
        return
    with contextlib.closing(connect_read_only(source)) as old:
        columns = _columns(old)
        rows = old.execute(
            "SELECT * FROM server_tasks WHERE status = 'queued' "
            "OR (status = 'cancelled' AND errorMessage = ? AND completedAt >= ?)",
            (CANCELLED_BY_CLOSE, closed_at),
        ).fetchall()
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
        for row in rows:
            _make_room(new, dict(zip(columns, row, strict=True)), target_logs)
        new.executemany(f"INSERT INTO server_tasks ({', '.join(kept)}) VALUES ({marks})", values)
        new.execute("COMMIT")


def _make_room(connection: sqlite3.Connection, task: dict[str, object], logs: Path) -> None:
    """Free the task's id in the restored database. A backup made while the task waited holds
    it already (same name, same creation time): that copy goes. Another task under the id (a
    backup of another account) moves to a new id, with its log."""
    task_id = int(str(task["id"]))
    found = connection.execute(
        "SELECT name, createdAt FROM server_tasks WHERE id = ?", (task_id,)
    ).fetchone()
    if found is None:
        return
    if tuple(found) == (task["name"], task["createdAt"]):
        connection.execute("DELETE FROM server_tasks WHERE id = ?", (task_id,))
        return
    moved = move_aside(connection, "server_tasks", task_id)
    if moved is not None and task_log_path(logs, task_id).exists():
        task_log_path(logs, task_id).replace(task_log_path(logs, moved))


def _columns(connection: sqlite3.Connection) -> list[str]:
    return [str(row[1]) for row in connection.execute("PRAGMA table_info(server_tasks)")]
