"""SQL of the items a user took the "spam" tag off (migration 0012)."""

import sqlite3
from collections.abc import Sequence

from privatefolio_daemon.store.tags import TaggedKind

_CHUNK = 500


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
    cleared: set[str] = set()
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = connection.execute(
            f"SELECT itemId FROM spam_cleared WHERE kind = ? AND itemId IN ({marks})",
            (kind, *chunk),
        )
        cleared.update(row[0] for row in rows)
    return [item_id for item_id in item_ids if item_id not in cleared]
