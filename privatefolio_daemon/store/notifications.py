"""SQL of an account's notifications: ``{id, title, text, createdAt (s), status, metadata?}``,
where status is 0 unread, 1 read or 2 archived."""

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

NOTIFICATIONS_DEFAULT_SQL = "SELECT * FROM notifications ORDER BY createdAt DESC, id DESC"
NOTIFICATIONS_COUNT_SQL = "SELECT COUNT(*) FROM notifications"
NOTIFICATION_COLUMNS = ("id", "title", "text", "createdAt", "status", "metadata")


def notify(
    connection: sqlite3.Connection,
    title: str,
    text: str,
    created_at_s: int,
    metadata: dict[str, Any] | None = None,
) -> bool:
    """Add an unread notification, or bring the unread one with this title up to date (a task
    failing at every cron run leaves one); True when one was added."""
    data = None if metadata is None else orjson.dumps(metadata).decode()
    updated = connection.execute(
        "UPDATE notifications SET text = ?, createdAt = ?, metadata = ? "
        "WHERE status = 0 AND title = ?",
        (text, created_at_s, data, title),
    ).rowcount
    if updated:
        return False
    connection.execute(
        "INSERT INTO notifications (title, text, createdAt, status, metadata) "
        "VALUES (?, ?, ?, 0, ?)",
        (title, text, created_at_s, data),
    )
    return True


def insert_notification(
    connection: sqlite3.Connection,
    title: str,
    text: str,
    created_at_s: int,
    metadata: dict[str, Any] | None = None,
) -> tuple[Any, ...]:
    """Add an unread notification; returns its row."""
    data = None if metadata is None else orjson.dumps(metadata).decode()
    row: tuple[Any, ...] = connection.execute(
        "INSERT INTO notifications (title, text, createdAt, status, metadata) "
        "VALUES (?, ?, ?, 0, ?) RETURNING *",
        (title, text, created_at_s, data),
    ).fetchone()
    return row


def patch_notifications(
    connection: sqlite3.Connection, ids: Sequence[int], fields: dict[str, Any]
) -> int:
    """Set ``fields`` (title, text, status, metadata) on these notifications; returns how many."""
    if not ids or not fields:
        return 0
    values = {
        name: orjson.dumps(value).decode() if name == "metadata" and value is not None else value
        for name, value in fields.items()
    }
    assignments = ", ".join(f"{name} = ?" for name in values)
    marks = ", ".join("?" for _ in ids)
    cursor = connection.execute(
        f"UPDATE notifications SET {assignments} WHERE id IN ({marks})",
        (*values.values(), *ids),
    )
    return cursor.rowcount


def notification_to_wire(row: Sequence[Any]) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    for name, value in zip(NOTIFICATION_COLUMNS, row, strict=False):
        if value is None:
            continue
        if name == "metadata":
            value = orjson.loads(value)
        elif name == "status":
            value = int(value or 0)
        wire[name] = value
    return wire
