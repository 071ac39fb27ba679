"""The task row of a restore that a crash cut off during its swap.

Closing the account for the swap ends the restore's task, and its row goes with the database;
the restore writes it back once the swap has ended (``api/backup.py``), and a committed swap
writes it before its journal goes. A crash before that would lose it, so the swap journal keeps
what the row needs, and the start that settles the journal writes it, under the id
``enqueueRestore`` returned, into the database the account ends up with: running when the
restore was rolled back (the task queue's restart recovery then aborts it, "Server
restarted."), completed when it had committed.
"""

import contextlib
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store import server_tasks
from privatefolio_daemon.store.rows_moved_aside import move_aside
from privatefolio_daemon.store.task_log_files import task_log_path


@dataclass(frozen=True, slots=True)
class TaskRow:
    task_id: int
    name: str
    description: str
    priority: int
    trigger: str
    created_at: int
    started_at: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TaskRow":
        return cls(**data)


def write_task_row(database: Path, logs: Path, row: TaskRow, *, committed: bool) -> None:
    """Write ``row`` into ``database`` (closed), unless it is there already. In a rolled-back
    account, any row under its id is its own (the swap had not closed the account yet); in a
    restored one, another task under its id (one of the backup) moves to a new id, with its log.
    """
    if not database.exists():
        return
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        moved = place_task_row(connection, row, committed=committed)
        connection.execute("COMMIT")
    move_log_aside(logs, row.task_id, moved)


def place_task_row(connection: sqlite3.Connection, row: TaskRow, *, committed: bool) -> int | None:
    """``write_task_row`` inside the caller's transaction; returns the id another task under
    the row's id moved to, whose log ``move_log_aside`` then moves."""
    found = connection.execute(
        "SELECT name, createdAt FROM server_tasks WHERE id = ?", (row.task_id,)
    ).fetchone()
    if found is not None and (not committed or tuple(found) == (row.name, row.created_at)):
        return None
    if committed:
        return record_task_row(connection, row, status="completed", completed_at=now_ms())
    return record_task_row(connection, row, status="running")


def record_task_row(
    connection: sqlite3.Connection,
    row: TaskRow,
    *,
    status: str,
    completed_at: int | None = None,
    error: str | None = None,
) -> int | None:
    """Write the restore's row under its id, in place of one it wrote before (same name and
    queued time). Another task under the id (one of a backup) moves to a new id, returned, so
    that ``move_log_aside`` moves its log."""
    found = connection.execute(
        "SELECT name, createdAt FROM server_tasks WHERE id = ?", (row.task_id,)
    ).fetchone()
    moved = None
    if found is not None and tuple(found) == (row.name, row.created_at):
        server_tasks.delete_task(connection, row.task_id)
    else:
        moved = move_aside(connection, "server_tasks", row.task_id)
    server_tasks.insert_task(
        connection,
        name=row.name,
        description=row.description,
        priority=row.priority,
        trigger=row.trigger,
        determinate=True,
        group_id=None,
        status=status,
        task_id=row.task_id,
        created_at=row.created_at,
    )
    ended: dict[str, Any] = {"startedAt": row.started_at}
    if completed_at is not None:
        ended.update(completedAt=completed_at, duration=completed_at - row.started_at)
    if error is not None:
        ended["errorMessage"] = error
    server_tasks.patch_task(connection, row.task_id, **ended)
    return moved


def move_log_aside(logs: Path, task_id: int, moved: int | None) -> None:
    if moved is not None and task_log_path(logs, task_id).exists():
        task_log_path(logs, task_id).replace(task_log_path(logs, moved))
