"""SQL of connections: their rows, their key-value entries, and their share of the ledger."""

import sqlite3
from typing import Any

import orjson

from privatefolio_daemon.store.bulk_delete import delete_where_equal
from privatefolio_daemon.store.change_log import append_change
from privatefolio_daemon.store.database import Row
from privatefolio_daemon.store.in_lists import rows_where_in
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.patched_fields import forget_deleted
from privatefolio_daemon.store.tags import untag_matching

#: Every column of ``connections`` in table order (the frontend reads rows by position).
CONNECTION_COLUMNS = (
    "id", "connectionNumber", "address", "key", "meta", "options", "extensionId", "platformId",
    "syncedAt", "timestamp",
)  # fmt: skip
_WIRE_NAMES = {"key": "apiKey"}

SEQUENCE_KEY = "connection_seq"


def cursor_key(connection_id: str) -> str:
    return f"connection_cursor_{connection_id}"


def saves_key(connection_id: str) -> str:
    """How many times the connection was saved (upserted): a sync that read it before a later
    save keeps the cursor that save set."""
    return f"connection_saves_{connection_id}"


def saves(connection: sqlite3.Connection, connection_id: str) -> int:
    return int(read_value(connection, saves_key(connection_id)) or 0)


def count_save(connection: sqlite3.Connection, connection_id: str) -> None:
    write_value(connection, saves_key(connection_id), saves(connection, connection_id) + 1)


def api_secret_key(connection_id: str) -> str:
    return f"connection_api_secret_{connection_id}"


def api_key_key(connection_id: str) -> str:
    return f"connection_api_key_{connection_id}"


def rpc_urls_key(connection_id: str) -> str:
    return f"connection_rpc_urls_{connection_id}"


def api_passphrase_key(connection_id: str) -> str:
    return f"connection_api_passphrase_{connection_id}"


def secret_keys(connection_id: str) -> tuple[str, ...]:
    """The key-value entries that hold a connection's encrypted secrets."""
    return (
        api_secret_key(connection_id),
        api_key_key(connection_id),
        rpc_urls_key(connection_id),
        api_passphrase_key(connection_id),
    )


def empty_meta() -> dict[str, Any]:
    return {
        "assetIds": [],
        "logs": 0,
        "operations": [],
        "rows": 0,
        "transactions": 0,
        "wallets": [],
    }


def connection_to_wire(row: Row) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, value in zip(CONNECTION_COLUMNS, row, strict=False):
        if value is None:
            continue
        if name in ("meta", "options") and isinstance(value, str):
            value = orjson.loads(value)
        record[_WIRE_NAMES.get(name, name)] = value
    return record


def read_connection(connection: sqlite3.Connection, connection_id: str) -> Row | None:
    row: Row | None = connection.execute(
        "SELECT * FROM connections WHERE id = ?", (connection_id,)
    ).fetchone()
    return row


def read_connections(connection: sqlite3.Connection) -> list[Row]:
    return connection.execute("SELECT * FROM connections ORDER BY connectionNumber").fetchall()


def write_connection(connection: sqlite3.Connection, record: dict[str, Any]) -> None:
    """INSERT OR REPLACE one connection from its wire form (``apiKey`` goes to ``key``)."""
    values = []
    for name in CONNECTION_COLUMNS:
        value = record.get(_WIRE_NAMES.get(name, name))
        if name in ("meta", "options") and value is not None:
            value = orjson.dumps(value).decode()
        values.append(value)
    connection.execute(
        f"INSERT OR REPLACE INTO connections ({', '.join(CONNECTION_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in CONNECTION_COLUMNS)})",
        values,
    )
    saved = read_connection(connection, record["id"])
    assert saved is not None
    append_change(connection, "connection", record["id"], connection_to_wire(saved))


def delete_connection(connection: sqlite3.Connection, connection_id: str) -> None:
    connection.execute("DELETE FROM connections WHERE id = ?", (connection_id,))
    append_change(connection, "connection", connection_id, None)
    keys = (cursor_key(connection_id), saves_key(connection_id), *secret_keys(connection_id))
    connection.executemany("DELETE FROM key_value WHERE key = ?", [(key,) for key in keys])


def delete_ledger(connection: sqlite3.Connection, connection_id: str) -> tuple[int, int]:
    """Delete the connection's audit logs and transactions, their tags and their patched fields;
    returns how many logs and transactions."""
    untag_matching(connection, "auditLog", "item.connectionId = ?", (connection_id,))
    untag_matching(connection, "transaction", "item.connectionId = ?", (connection_id,))
    logs = delete_where_equal(connection, "audit_logs", "connectionId", connection_id)
    transactions = delete_where_equal(connection, "transactions", "connectionId", connection_id)
    forget_deleted(connection)
    return logs, transactions


def count_existing(connection: sqlite3.Connection, table: str, ids: list[str]) -> int:
    """How many of ``ids`` are already rows of ``table`` (``audit_logs`` or ``transactions``)."""
    sql = f"SELECT COUNT(*) FROM {table} WHERE id IN ({{marks}})"
    return sum(row[0] for row in rows_where_in(connection, sql, ids))


def latest_wallet_balances(
    connection: sqlite3.Connection, platform_id: str, wallet: str
) -> dict[str, str | None]:
    """``{assetId: balanceWallet of the asset's latest audit log}`` of one wallet on one platform
    (None where balances were not computed yet)."""
    rows = connection.execute(
        """
        SELECT assetId, balanceWallet FROM (
          SELECT assetId, balanceWallet, ROW_NUMBER() OVER (
            PARTITION BY assetId ORDER BY timestamp DESC, changeN DESC, id DESC
          ) AS position
          FROM audit_logs WHERE platformId = ? AND wallet = ? COLLATE NOCASE
        ) WHERE position = 1 ORDER BY assetId
        """,
        (platform_id, wallet),
    ).fetchall()
    return {asset_id: balance for asset_id, balance in rows}


def wallet_changes(
    connection: sqlite3.Connection, platform_id: str, wallet: str
) -> list[tuple[str, str]]:
    """``(assetId, change)`` of every audit log of one wallet on one platform."""
    return connection.execute(
        "SELECT assetId, change FROM audit_logs WHERE platformId = ? AND wallet = ? COLLATE NOCASE",
        (platform_id, wallet),
    ).fetchall()
