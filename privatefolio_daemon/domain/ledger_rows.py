"""Rows of ``audit_logs`` and ``transactions`` (read by position) as record objects."""

from dataclasses import fields
from typing import Any

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.store import ledger

_TRANSACTION_FIELDS = frozenset(field.name for field in fields(Transaction))
_AUDIT_LOG_FIELDS = frozenset(field.name for field in fields(AuditLog))


def transaction_from_row(row: tuple[Any, ...]) -> Transaction:
    return transaction_from_wire(ledger.transaction_to_wire(row))


def transaction_from_wire(wire: dict[str, Any]) -> Transaction:
    return Transaction(**{key: value for key, value in wire.items() if key in _TRANSACTION_FIELDS})


def audit_log_from_row(row: tuple[Any, ...]) -> AuditLog:
    wire = ledger.audit_log_to_wire(row)
    return AuditLog(**{key: value for key, value in wire.items() if key in _AUDIT_LOG_FIELDS})
