"""CSV encoding of the transactions and audit-logs exports (file-formats §4).

Every value is quoted, inner quotes are doubled and, as in the original, every comma becomes
``\\,`` even inside quotes. Rows are joined with ``\\n``, with no trailing newline and no BOM.
"""

from collections.abc import Iterable
from typing import Any

import orjson

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.domain.timeutil import utc_text

TRANSACTIONS_EXPORT_COLUMNS = (
    "Timestamp",
    "Platform",
    "Wallet",
    "Type",
    "Incoming",
    "Incoming Asset",
    "Outgoing",
    "Outgoing Asset",
    "Fee",
    "Fee Asset",
    "Smart Contract",
    "Smart Contract Method",
    "Blockchain Tx",
    "Notes",
)
AUDIT_LOGS_EXPORT_COLUMNS = (
    "Timestamp",
    "Platform",
    "Wallet",
    "Operation",
    "Change",
    "Asset",
    "Wallet balance",
)
EXPORT_MIME_TYPE = "text/csv;charset=utf-8;"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def encode_value(value: Any) -> str:
    escaped = _text(value).replace('"', '""').replace(",", "\\,")
    return f'"{escaped}"'


def encode_csv_row(values: Iterable[Any]) -> str:
    return ",".join(encode_value(value) for value in values)


def encode_csv(rows: Iterable[str]) -> str:
    """Join already-encoded rows (header first)."""
    return "\n".join(rows)


def transactions_export_header() -> str:
    return encode_csv_row(TRANSACTIONS_EXPORT_COLUMNS)


def transaction_export_row(tx: Transaction) -> str:
    metadata = tx.metadata
    return encode_csv_row(
        (
            utc_text(tx.timestamp),
            tx.platformId,
            tx.wallet,
            tx.type,
            tx.incoming,
            tx.incomingAsset,
            tx.outgoing,
            tx.outgoingAsset,
            tx.fee,
            tx.feeAsset,
            metadata.get("contractAddress"),
            metadata.get("method"),
            metadata.get("txHash"),
            tx.notes,
        )
    )


def audit_logs_export_header() -> str:
    return encode_csv_row(AUDIT_LOGS_EXPORT_COLUMNS)


def audit_log_export_row(log: AuditLog) -> str:
    """The "Wallet balance" column holds the cross-wallet ``balance`` (quirk of the original)."""
    return encode_csv_row(
        (
            utc_text(log.timestamp),
            log.platformId,
            log.wallet,
            log.operation,
            log.change,
            log.assetId,
            log.balance,
        )
    )
