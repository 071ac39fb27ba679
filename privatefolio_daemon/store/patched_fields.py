"""SQL of the fields a user patched on imported and synced transactions (migration 0016)."""

import sqlite3
from collections.abc import Iterable, Sequence

from privatefolio_daemon.store.in_lists import rows_where_in


def mark_patched(connection: sqlite3.Connection, tx_id: str, fields: Iterable[str]) -> None:
    connection.executemany(
        "INSERT OR IGNORE INTO transaction_patched_fields (transactionId, field) VALUES (?, ?)",
        ((tx_id, field) for field in fields),
    )


def patched_fields(connection: sqlite3.Connection, tx_ids: Sequence[str]) -> dict[str, set[str]]:
    """The patched fields of those of these transactions that have some, by id."""
    sql = (
        "SELECT transactionId, field FROM transaction_patched_fields "
        "WHERE transactionId IN ({marks})"
    )
    found: dict[str, set[str]] = {}
    for tx_id, field in rows_where_in(connection, sql, tx_ids):
        found.setdefault(tx_id, set()).add(field)
    return found


def forget_patched(connection: sqlite3.Connection, tx_ids: Iterable[str]) -> None:
    connection.executemany(
        "DELETE FROM transaction_patched_fields WHERE transactionId = ?",
        ((tx_id,) for tx_id in tx_ids),
    )


def forget_deleted(connection: sqlite3.Connection) -> None:
    """Forget the fields patched on transactions that are gone from their table (a file import, a
    connection's ledger or a raw SQL statement deleted them)."""
    connection.execute(
        "DELETE FROM transaction_patched_fields "
        "WHERE NOT EXISTS (SELECT 1 FROM transactions WHERE id = transactionId)"
    )
