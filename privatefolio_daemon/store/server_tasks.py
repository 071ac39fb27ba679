"""SQL of the ``server_tasks`` table: one row per task, from queued to its end."""

import sqlite3
from collections.abc import Sequence
from typing import Any

from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.database import Row, in_transaction
from privatefolio_daemon.store.rows_moved_aside import move_aside

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


_MARKS = ", ".join("?" for _ in COLUMNS)


def task_row(**fields: Any) -> Row:
    """A row in column order from its fields (by column name; ``determinate`` a bool)."""
    fields["determinate"] = fields.get("determinate") or None
    return tuple(fields.get(column) for column in COLUMNS)


def insert_rows(connection: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """New task rows under the ids they hold, in one transaction. The queue gave those ids, and
    its callers hold them: a row written there meanwhile by other means (``executeSql``) moves
    to a new id."""

    def insert(conn: sqlite3.Connection) -> None:
        for row in rows:
            move_aside(conn, "server_tasks", int(row[0]))
            conn.execute(f"INSERT INTO server_tasks ({', '.join(COLUMNS)}) VALUES ({_MARKS})", row)

    in_transaction(connection, insert)


def highest_id(connection: sqlite3.Connection) -> int:
    """The highest task id the account has given (a deleted task's too)."""
    given = connection.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'server_tasks'), 0), "
        "COALESCE((SELECT MAX(id) FROM server_tasks), 0))"
    ).fetchone()
    return int(given[0])


def patch_task(connection: sqlite3.Connection, task_id: int, **fields: Any) -> bool:
    """Whether the task's row was there to change."""
    assignments = ", ".join(f"{column} = ?" for column in fields if column in COLUMNS)
    cursor = connection.execute(
        f"UPDATE server_tasks SET {assignments} WHERE id = ?", (*fields.values(), task_id)
    )
    return cursor.rowcount > 0


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


_WRITE_UNWRITTEN = (
    f"INSERT INTO server_tasks ({', '.join(COLUMNS)}) VALUES ({_MARKS}) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
    "completedAt = excluded.completedAt, errorMessage = excluded.errorMessage "
    "WHERE server_tasks.status = 'queued' AND server_tasks.name IS excluded.name "
    "AND server_tasks.createdAt = excluded.createdAt"
)


def recover_after_restart(
    connection: sqlite3.Connection, reason: str, unwritten: Sequence[Row] = ()
) -> list[str]:
    """``running`` → ``aborted``, ``queued`` → ``cancelled``, in one transaction; returns the
    names of the tasks so ended, in the order they were queued. ``unwritten``: rows the last
    process gave the writer and may have died before it wrote (their latest state each), written
    first where their task has no row or one still queued."""

    def run(conn: sqlite3.Connection) -> list[str]:
        conn.executemany(_WRITE_UNWRITTEN, unwritten)
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
