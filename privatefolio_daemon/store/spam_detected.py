"""SQL of the items spam detection tagged "spam" itself (migration 0015): the tags it may take
off again once an item no longer looks like spam."""

import sqlite3
from collections.abc import Iterable

from privatefolio_daemon.store.tags import TaggedKind


def mark_detected(
    connection: sqlite3.Connection, kind: TaggedKind, item_ids: Iterable[str]
) -> None:
    connection.executemany(
        "INSERT OR IGNORE INTO spam_detected (kind, itemId) VALUES (?, ?)",
        ((kind, item_id) for item_id in item_ids),
    )


def forget_detected(
    connection: sqlite3.Connection, kind: TaggedKind, item_ids: Iterable[str]
) -> None:
    connection.executemany(
        "DELETE FROM spam_detected WHERE kind = ? AND itemId = ?",
        ((kind, item_id) for item_id in item_ids),
    )


def is_detected(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> bool:
    sql = "SELECT 1 FROM spam_detected WHERE kind = ? AND itemId = ?"
    return connection.execute(sql, (kind, item_id)).fetchone() is not None


def detected_transactions(connection: sqlite3.Connection) -> list[str]:
    sql = "SELECT itemId FROM spam_detected WHERE kind = 'transaction'"
    return [row[0] for row in connection.execute(sql).fetchall()]


def detected_logs(connection: sqlite3.Connection) -> list[tuple[str, str | None]]:
    """Each audit log detection tagged, with its transaction (``None``: the log is gone)."""
    sql = (
        "SELECT detected.itemId, log.txId FROM spam_detected AS detected "
        "LEFT JOIN audit_logs AS log ON log.id = detected.itemId "
        "WHERE detected.kind = 'auditLog'"
    )
    return [(row[0], row[1]) for row in connection.execute(sql).fetchall()]


def forget_all(connection: sqlite3.Connection) -> None:
    connection.execute("DELETE FROM spam_detected")
