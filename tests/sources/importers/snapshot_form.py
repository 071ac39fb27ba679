"""The Privatefolio tests' sanitised record form (expected/README.md), and DB emulation."""

from typing import Any, TypeVar

from privatefolio_daemon.domain.records import AuditLog, Transaction


def _short_id(record_id: str, platform_id: str, *, keep_kind_suffix: bool) -> str:
    parts = record_id.split("_")
    if not platform_id.startswith("chain."):
        return parts[1]
    kept = [parts[1], parts[2], parts[4]] if keep_kind_suffix else [parts[1], parts[2]]
    return "_".join(kept)


def _renamed(wire: dict[str, Any]) -> dict[str, Any]:
    for dropped in ("fileImportId", "connectionId", "importIndex", "balance", "balanceWallet"):
        wire.pop(dropped, None)
    wire["platform"] = wire.pop("platformId")
    return wire


def sanitised_log(log: AuditLog) -> dict[str, Any]:
    wire = _renamed(log.to_wire())
    wire["id"] = _short_id(log.id, log.platformId, keep_kind_suffix=True)
    if log.txId:
        wire["txId"] = _short_id(log.txId, log.platformId, keep_kind_suffix=False)
    return wire


def sanitised_transaction(tx: Transaction) -> dict[str, Any]:
    wire = _renamed(tx.to_wire())
    wire["_id"] = _short_id(wire.pop("id"), tx.platformId, keep_kind_suffix=False)
    return wire


Record = TypeVar("Record", AuditLog, Transaction)


def insert_or_replace(records: list[Record]) -> list[Record]:
    """Keep the last record per id, as SQLite's INSERT OR REPLACE does."""
    return list({record.id: record for record in records}.values())


def in_log_order(logs: list[AuditLog]) -> list[AuditLog]:
    """``timestamp DESC, changeN DESC, id DESC``."""
    by_id = sorted(logs, key=lambda log: log.id, reverse=True)
    return sorted(by_id, key=lambda log: (-log.timestamp, -float(log.change)))


def in_transaction_order(transactions: list[Transaction]) -> list[Transaction]:
    """``timestamp DESC, incomingN DESC`` with NULL incoming last."""
    return sorted(
        transactions,
        key=lambda tx: (-tx.timestamp, tx.incoming is None, -float(tx.incoming or 0)),
    )
