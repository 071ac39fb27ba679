"""SQL of the ``server_tasks`` table: one row per task, from queued to its end."""

import sqlite3
from typing import Any

from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.database import in_transaction

COLUMNS = (
    "id",
    "name",
    "description",
    "priority",
    "startedAt",
    "completedAt",
    "duration",
    "errorMessage",
    "trigger",
    "status",
    "createdAt",
    "determinate",
    "groupId",
)


def insert_task(
    connection: sqlite3.Connection,
    *,
    name: str,
    description: str,
    priority: int,
    trigger: str,
    determinate: bool,
    group_id: str | None,
    status: str = "queued",
    task_id: int | None = None,
    created_at: int | None = None,
) -> int:
    """A new task row; under ``task_id`` (replacing any row there) when given, created now
    unless ``created_at`` says when."""
    cursor = connection.execute(
        "INSERT OR REPLACE INTO server_tasks (id, name, description, priority, trigger, status, "
        "createdAt, determinate, groupId) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            task_id,
            name,
            description,
            priority,
            trigger,
            status,
            now_ms() if created_at is None else created_at,
            determinate or None,
            group_id,
        ),
    )
    return int(cursor.lastrowid or 0)


def patch_task(connection: sqlite3.Connection, task_id: int, **fields: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in fields if column in COLUMNS)
    connection.execute(
        f"UPDATE server_tasks SET {assignments} WHERE id = ?", (*fields.values(), task_id)
    )


def delete_task(connection: sqlite3.Connection, task_id: int) -> None:
    connection.execute("DELETE FROM server_tasks WHERE id = ?", (task_id,))


def cancel_queued(connection: sqlite3.Connection, task_ids: list[int], error: str) -> None:
    """Queued rows that will not run → ``cancelled`` with ``error``, in one transaction."""
    in_transaction(
        connection,
        lambda conn: conn.executemany(
            "UPDATE server_tasks SET status = 'cancelled', completedAt = ?, errorMessage = ? "
            "WHERE id = ? AND status = 'queued'",
            [(now_ms(), error, task_id) for task_id in task_ids],
        ),
    )


def recover_after_restart(connection: sqlite3.Connection, reason: str) -> list[str]:
    """``running`` → ``aborted``, ``queued`` → ``cancelled``, in one transaction; returns the
    names of the tasks so ended, in the order they were queued."""

    def run(conn: sqlite3.Connection) -> list[str]:
        names = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM server_tasks WHERE status IN ('running', 'queued') ORDER BY id"
            )
        ]
        if names:
            conn.execute(
                "UPDATE server_tasks SET status = CASE status WHEN 'running' THEN 'aborted' "
                "ELSE 'cancelled' END, completedAt = ?, errorMessage = ? "
                "WHERE status IN ('running', 'queued')",
                (now_ms(), reason),
            )
        return names

    return in_transaction(connection, run)


def task_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row (in column order) as the frontend reads it: NULLs omitted, determinate as 1."""
    record = {
        column: value for column, value in zip(COLUMNS, row, strict=False) if value is not None
    }
    if not record.get("determinate"):
        record.pop("determinate", None)
    return record
