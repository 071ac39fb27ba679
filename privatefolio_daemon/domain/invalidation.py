"""Invalidating derived data from a day on: balances, net worth, trades and PnL.

Each kind keeps a cursor in the key-value store (the last day it computed). Lowering a cursor
deletes the derived rows at and after it, so the next refresh recomputes from there only.
"""

import sqlite3
from typing import Any

from privatefolio_daemon.store.balances import delete_balances
from privatefolio_daemon.store.key_value import read_value, write_value


def _cursor(connection: sqlite3.Connection, key: str) -> int:
    value: Any = read_value(connection, key)
    return int(value) if isinstance(value, int | float) else 0


def invalidate_from(
    connection: sqlite3.Connection, cursor: int, oldest: int | None = None
) -> list[str]:
    """Lower every derived-data cursor above ``cursor``; returns the kinds that changed.

    ``oldest`` is the time of the oldest log changed, if known: when it comes after the last log
    a trades run went through, the next run goes on from there."""
    changed = []
    if cursor < _cursor(connection, "balancesCursor"):
        write_value(connection, "balancesCursor", cursor)
        delete_balances(connection, cursor)
        changed.append("balances")
    if cursor < _cursor(connection, "networthCursor"):
        write_value(connection, "networthCursor", cursor)
        connection.execute("DELETE FROM networth WHERE timestamp >= ?", (cursor,))
        changed.append("networth")
    return changed + invalidate_trades(connection, cursor, oldest)


def invalidate_trades(
    connection: sqlite3.Connection, cursor: int, oldest: int | None = None
) -> list[str]:
    """The trades and PnL part of ``invalidate_from``: every trade goes when ``cursor`` is before
    the last close; the next run no longer goes on from a last log at or after ``oldest``."""
    changed = []
    if cursor < _cursor(connection, "tradesCursor"):
        for table in ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl"):
            connection.execute(f"DELETE FROM {table}")
        write_value(connection, "tradesCursor", 0)
        write_value(connection, "tradesScanCursor", 0)
        write_value(connection, "trade_seq", 0)
        changed.append("trades")
    elif (cursor if oldest is None else oldest) <= _cursor(connection, "tradesScanCursor"):
        write_value(connection, "tradesScanCursor", 0)
    if cursor < _cursor(connection, "tradePnlCursor"):
        write_value(connection, "tradePnlCursor", cursor)
        changed.append("trade-pnl")
    return changed


def transaction_time_span(connection: sqlite3.Connection) -> tuple[int, int]:
    """``(genesis, lastTx)``: the oldest and newest transaction timestamps, or zeros."""
    row = connection.execute("SELECT MIN(timestamp), MAX(timestamp) FROM transactions").fetchone()
    return (row[0] or 0, row[1] or 0)


def record_time_bound(connection: sqlite3.Connection, key: str) -> int:
    """Store and return ``genesis`` (the oldest transaction's timestamp) or ``lastTx`` (the
    newest's), 0 without transactions."""
    genesis, last_tx = transaction_time_span(connection)
    value = genesis if key == "genesis" else last_tx
    write_value(connection, key, value)
    return value
