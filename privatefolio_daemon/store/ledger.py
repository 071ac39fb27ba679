"""SQL of the ledger: audit logs, transactions and file imports."""

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from privatefolio_daemon.domain.records import (
    AUDIT_LOG_DB_COLUMNS,
    TRANSACTION_DB_COLUMNS,
    AuditLog,
    Transaction,
)
from privatefolio_daemon.store.batch_insert import insert_or_replace

#: Every column of ``audit_logs``, generated ones included, in table order (read by position).
AUDIT_LOG_COLUMNS = (
    "id", "assetId", "balance", "balanceN", "balanceWallet", "balanceWalletN", "change", "changeN",
    "fileImportId", "connectionId", "importIndex", "operation", "platformId", "timestamp", "txId",
    "wallet",
)  # fmt: skip
TRANSACTION_COLUMNS = (
    "id", "incomingAsset", "incoming", "incomingN", "feeAsset", "fee", "feeN", "fileImportId",
    "connectionId", "importIndex", "outgoingAsset", "outgoing", "outgoingN", "notes", "platformId",
    "price", "priceN", "role", "timestamp", "type", "wallet", "metadata",
)  # fmt: skip
FILE_IMPORT_COLUMNS = ("id", "lastModified", "name", "size", "timestamp", "meta")

AUDIT_LOG_ORDER_DESC = "ORDER BY timestamp DESC, changeN DESC, id DESC"
AUDIT_LOG_ORDER_ASC = "ORDER BY timestamp ASC, changeN ASC, id ASC"
TRANSACTION_ORDER = "ORDER BY timestamp DESC, incomingN DESC, id DESC"

_GENERATED = frozenset(
    {"balanceN", "balanceWalletN", "changeN", "incomingN", "feeN", "outgoingN", "priceN"}
)


def insert_audit_logs(connection: sqlite3.Connection, logs: Iterable[AuditLog]) -> None:
    rows = [log.db_row() for log in logs]
    insert_or_replace(connection, "audit_logs", AUDIT_LOG_DB_COLUMNS, rows)


def insert_transactions(
    connection: sqlite3.Connection, transactions: Iterable[Transaction]
) -> None:
    rows = [transaction.db_row() for transaction in transactions]
    insert_or_replace(connection, "transactions", TRANSACTION_DB_COLUMNS, rows)


def log_ids_of(connection: sqlite3.Connection, tx_id: str) -> list[str]:
    """The ids of the transaction's audit logs."""
    rows = connection.execute("SELECT id FROM audit_logs WHERE txId = ? ORDER BY id", (tx_id,))
    return [row[0] for row in rows]


def notes_of(connection: sqlite3.Connection, tx_ids: Iterable[str]) -> dict[str, str]:
    """The notes of those of these transactions that have some, by id."""
    found: dict[str, str] = {}
    for tx_id in tx_ids:
        row = connection.execute("SELECT notes FROM transactions WHERE id = ?", (tx_id,)).fetchone()
        if row is not None and row[0]:
            found[tx_id] = row[0]
    return found


def audit_log_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        name: value
        for name, value in zip(AUDIT_LOG_COLUMNS, row, strict=False)
        if value is not None and name not in _GENERATED
    }


def transaction_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    record = {
        name: value
        for name, value in zip(TRANSACTION_COLUMNS, row, strict=False)
        if value is not None and name not in _GENERATED
    }
    metadata = record.get("metadata")
    record["metadata"] = orjson.loads(metadata) if isinstance(metadata, str) else {}
    return record


def file_import_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip(FILE_IMPORT_COLUMNS, row, strict=False))
    if isinstance(record.get("size"), float) and record["size"].is_integer():
        record["size"] = int(record["size"])
    meta = record.get("meta")
    record["meta"] = orjson.loads(meta) if isinstance(meta, str) else meta
    return record


def oldest_timestamp(
    connection: sqlite3.Connection, where: str, params: tuple[Any, ...]
) -> int | None:
    row = connection.execute(
        f"SELECT MIN(timestamp) FROM audit_logs WHERE {where}", params
    ).fetchone()
    return None if row is None else row[0]


def holds_chain_assets(connection: sqlite3.Connection) -> bool:
    """Whether any audit log moves an on-chain asset (``chain.…``): a range of the asset index."""
    row = connection.execute(
        "SELECT 1 FROM audit_logs WHERE assetId >= 'chain.' AND assetId < 'chain/' LIMIT 1"
    ).fetchone()
    return row is not None


_FUNDS_PRICED_IN = """
SELECT DISTINCT fund FROM (
  SELECT incomingAsset AS fund, outgoingAsset AS paid FROM transactions
  WHERE fileImportId = ?1 AND type = 'Buy'
  UNION ALL
  SELECT outgoingAsset, incomingAsset FROM transactions WHERE fileImportId = ?1 AND type = 'Sell'
  UNION ALL
  SELECT json_extract(metadata, '$.dividendOf'), incomingAsset FROM transactions
  WHERE fileImportId = ?1 AND type = 'Reward'
)
WHERE fund GLOB 'fund:*' AND paid = ?2
ORDER BY fund
"""


def funds_priced_in(
    connection: sqlite3.Connection, file_import_id: str, currency: str
) -> list[str]:
    """The ``fund:`` assets that a file's buys, sales or dividends price in ``currency``."""
    return [fund for (fund,) in connection.execute(_FUNDS_PRICED_IN, (file_import_id, currency))]
