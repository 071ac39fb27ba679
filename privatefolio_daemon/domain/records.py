"""The two record types every source produces: audit logs and transactions.

Field names are the table column names (data-model §2.2, §2.3), without the generated ``…N``
columns. ``db_row()`` follows ``DB_COLUMNS`` and applies the writers' "value or null" rule (the
original stores falsy values such as ``""`` as NULL); ``to_wire()`` is the JSON object the RPC
sends (NULL fields omitted).
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

JsonObject = dict[str, Any]

AUDIT_LOG_DB_COLUMNS: tuple[str, ...] = (
    "id",
    "assetId",
    "balance",
    "balanceWallet",
    "change",
    "fileImportId",
    "connectionId",
    "importIndex",
    "operation",
    "platformId",
    "timestamp",
    "txId",
    "wallet",
)

TRANSACTION_DB_COLUMNS: tuple[str, ...] = (
    "id",
    "incomingAsset",
    "incoming",
    "feeAsset",
    "fee",
    "fileImportId",
    "connectionId",
    "importIndex",
    "outgoingAsset",
    "outgoing",
    "notes",
    "platformId",
    "price",
    "role",
    "timestamp",
    "type",
    "wallet",
    "metadata",
)


@dataclass(slots=True, kw_only=True)
class AuditLog:
    DB_COLUMNS: ClassVar[tuple[str, ...]] = AUDIT_LOG_DB_COLUMNS

    id: str
    assetId: str
    balance: str | None = None
    balanceWallet: str | None = None
    change: str
    fileImportId: str | None = None
    connectionId: str | None = None
    importIndex: float
    operation: str
    platformId: str
    timestamp: int
    txId: str | None = None
    wallet: str

    def db_row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.assetId,
            self.balance or None,
            self.balanceWallet or None,
            self.change,
            self.fileImportId or None,
            self.connectionId or None,
            self.importIndex,
            self.operation,
            self.platformId,
            self.timestamp,
            self.txId or None,
            self.wallet,
        )

    def to_wire(self) -> JsonObject:
        return {
            name: value
            for name, value in zip(AUDIT_LOG_DB_COLUMNS, self.db_row(), strict=True)
            if value is not None
        }


@dataclass(slots=True, kw_only=True)
class Transaction:
    DB_COLUMNS: ClassVar[tuple[str, ...]] = TRANSACTION_DB_COLUMNS

    id: str
    incomingAsset: str | None = None
    incoming: str | None = None
    feeAsset: str | None = None
    fee: str | None = None
    fileImportId: str | None = None
    connectionId: str | None = None
    importIndex: float | None = None
    outgoingAsset: str | None = None
    outgoing: str | None = None
    notes: str | None = None
    platformId: str
    price: str | None = None
    role: str | None = None
    timestamp: int
    type: str
    wallet: str
    metadata: JsonObject = field(default_factory=dict)

    def db_row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.incomingAsset or None,
            self.incoming or None,
            self.feeAsset or None,
            self.fee or None,
            self.fileImportId or None,
            self.connectionId or None,
            self.importIndex or None,
            self.outgoingAsset or None,
            self.outgoing or None,
            self.notes or None,
            self.platformId,
            self.price or None,
            self.role or None,
            self.timestamp,
            self.type,
            self.wallet,
            orjson.dumps(self.metadata).decode() if self.metadata else "{}",
        )

    def to_wire(self) -> JsonObject:
        wire = {
            name: value
            for name, value in zip(TRANSACTION_DB_COLUMNS[:-1], self.db_row(), strict=False)
            if value is not None
        }
        wire["metadata"] = dict(self.metadata)
        return wire
