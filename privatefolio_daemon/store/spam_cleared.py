"""SQL of the items a user took the "spam" tag off (migration 0012)."""

import sqlite3
from collections.abc import Sequence

from privatefolio_daemon.store.in_lists import rows_where_in
from privatefolio_daemon.store.tags import TaggedKind


def mark_cleared(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> None:
    connection.execute(
        "INSERT OR IGNORE INTO spam_cleared (kind, itemId) VALUES (?, ?)", (kind, item_id)
    )


def unmark_cleared(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> None:
    connection.execute("DELETE FROM spam_cleared WHERE kind = ? AND itemId = ?", (kind, item_id))


def not_cleared(
    connection: sqlite3.Connection, kind: TaggedKind, item_ids: Sequence[str]
) -> list[str]:
    """``item_ids`` without those a user cleared, in their order."""
    sql = "SELECT itemId FROM spam_cleared WHERE kind = ? AND itemId IN ({marks})"
    cleared = {row[0] for row in rows_where_in(connection, sql, item_ids, kind)}
    return [item_id for item_id in item_ids if item_id not in cleared]


def is_cleared(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> bool:
    sql = "SELECT 1 FROM spam_cleared WHERE kind = ? AND itemId = ?"
    return connection.execute(sql, (kind, item_id)).fetchone() is not None
