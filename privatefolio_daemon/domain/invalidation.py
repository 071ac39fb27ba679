"""Invalidating derived data from a day on: balances, net worth, trades and PnL.

Each kind keeps a cursor in the key-value store (the last day it computed). Lowering a cursor
deletes the derived rows at and after it, so the next refresh recomputes from there only. A change
of prices deletes nothing: it only marks the values from its day as stale.
"""

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.domain.passes_owed import mark_passes_owed
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.store.balances import delete_balances
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.key_value import delete_value, read_value, write_value
from privatefolio_daemon.store.trade_tag_carry import carry_trade_tags
from privatefolio_daemon.store.trades import delete_trades, has_trades
from privatefolio_daemon.store.trades_scratch import next_generation

PNL_STALE_FROM = "tradePnlStaleFrom"
"""The trades open or closed from this day on need their PnL made again: prices they used
changed. The next trades refresh prices them too, and removes the entry."""


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


@dataclass(frozen=True, slots=True)
class LedgerInvalidation:
    """What ``invalidate_for_ledger`` wrote: the time span of the transactions, and the kinds of
    derived rows it deleted. ``has_transactions`` tells an empty ledger from one whose only
    transactions are at 0 (1970-01-01T00:00:00.000Z): both store ``genesis`` = ``lastTx`` = 0."""

    genesis: int
    last_tx: int
    deleted: list[str]
    has_transactions: bool


def invalidate_for_ledger(
    connection: sqlite3.Connection, oldest: int | None, *, passes_owed: bool = False
) -> LedgerInvalidation:
    """``ledger_invalidation`` in a transaction of its own; with ``passes_owed`` (audit logs
    were created), auto-merge and spam detection are marked owed in it too."""

    def invalidate(conn: sqlite3.Connection) -> LedgerInvalidation:
        if passes_owed:
            mark_passes_owed(conn)
        return ledger_invalidation(conn, oldest)

    return in_transaction(connection, invalidate)


def ledger_invalidation(connection: sqlite3.Connection, oldest: int | None) -> LedgerInvalidation:
    """Audit logs changed from ``oldest`` on (None: a reset, no time known): ``genesis`` and
    ``lastTx`` are recorded, and every derived-data cursor goes back to the day before ``oldest``
    (to 0 when no transaction is left). Within the change's own transaction, a stop right after
    it cannot leave derived data that ignores it."""
    bounds = transaction_bounds(connection)
    genesis, last_tx = bounds or (0, 0)
    write_value(connection, "genesis", genesis)
    write_value(connection, "lastTx", last_tx)
    deleted: list[str] = []
    if oldest is not None:
        cursor = day_start(oldest) - DAY_MS if bounds is not None else 0
        deleted = invalidate_from(connection, cursor, oldest)
        if bounds is None and not _has_audit_logs(connection):  # no refresh follows
            if "trades" not in deleted:
                deleted += _delete_trades(connection)
            carry_trade_tags(connection)  # with no trade left, the trades' tags go
    return LedgerInvalidation(genesis, last_tx, deleted, bounds is not None)


def _has_audit_logs(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM audit_logs LIMIT 1").fetchone() is not None


def derived_data_behind(connection: sqlite3.Connection) -> bool:
    """Whether a refresh has work to do beyond filling in the days since the last one: balances
    before the day of the last log, net worth before the balances, trades before the last log,
    a PnL marked stale, or derived data left over from logs that are gone. A few indexed reads."""
    last_log = connection.execute("SELECT MAX(timestamp) FROM audit_logs").fetchone()[0]
    balances = _cursor(connection, "balancesCursor")
    networth = _cursor(connection, "networthCursor")
    trades = max(_cursor(connection, "tradesCursor"), _cursor(connection, "tradesScanCursor"))
    if last_log is None:
        return balances > 0 or networth > 0 or trades > 0
    return (
        balances < day_start(int(last_log))
        or networth < balances
        or trades < int(last_log)
        or read_value(connection, PNL_STALE_FROM) is not None
    )


def invalidate_trades(
    connection: sqlite3.Connection, cursor: int, oldest: int | None = None
) -> list[str]:
    """The trades and PnL part of ``invalidate_from``: every trade goes when ``cursor`` is before
    the last close; the next run no longer goes on from a last log at or after ``oldest``.
    A trades run computed off the writer from an earlier snapshot is then not applied."""
    next_generation(connection)
    changed = []
    if cursor < _cursor(connection, "tradesCursor"):
        changed += _delete_trades(connection)
    elif (cursor if oldest is None else oldest) <= _cursor(connection, "tradesScanCursor"):
        write_value(connection, "tradesScanCursor", 0)
    if cursor < _cursor(connection, "tradePnlCursor"):
        write_value(connection, "tradePnlCursor", cursor)
        changed.append("trade-pnl")
    return changed


def _delete_trades(connection: sqlite3.Connection) -> list[str]:
    """Every trade, link and PnL row, and the trades cursors and numbering."""
    delete_trades(connection)
    write_value(connection, "tradesCursor", 0)
    write_value(connection, "tradesScanCursor", 0)
    write_value(connection, "trade_seq", 0)
    delete_value(connection, PNL_STALE_FROM)
    return ["trades"]


@dataclass(frozen=True, slots=True)
class PriceInvalidation:
    """What a change of daily prices made stale: key-value entries lowered, with their new
    values, and the kinds of derived rows deleted. ``networth_behind``: the change is on days
    whose net worth rows an earlier change had already made stale (its cursor is below them):
    no cursor is lowered, but a refresh must still replace them, as the one that should have
    may have failed."""

    lowered: dict[str, int] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    networth_behind: bool = False

    def __bool__(self) -> bool:
        return bool(self.lowered or self.deleted or self.networth_behind)


def invalidate_for_prices(
    connection: sqlite3.Connection, changed_from: int | None, priced_or_unpriced: Iterable[int] = ()
) -> PriceInvalidation:
    """Daily prices changed from ``changed_from`` on; the days of ``priced_or_unpriced`` gained
    their first price of an asset or lost one.

    Net worth and the trades' PnL from the day before are stale: their cursors are lowered, and
    the rows stay until the next refresh replaces them. Trades value their deposits at the price
    of the day, so a day with audit logs that gains or loses a price is, for the trades, a change
    of the ledger on that day. A price that only changes (today's, until the day closes) leaves
    the trades as they were computed: revaluing them would mean recomputing every trade after
    each fetch of today's price."""
    if changed_from is None:
        return PriceInvalidation()
    lowered: dict[str, int] = {}
    deleted: list[str] = []
    logged = _first_day_with_logs(connection, sorted(priced_or_unpriced))
    if logged is not None:
        deleted.extend(invalidate_trades(connection, max(0, logged - DAY_MS), logged))
    cursor = max(0, changed_from - DAY_MS)
    if cursor < _cursor(connection, "networthCursor"):
        write_value(connection, "networthCursor", cursor)
        lowered["networthCursor"] = cursor
    stale_from = read_value(connection, PNL_STALE_FROM)
    if has_trades(connection) and (not isinstance(stale_from, int) or cursor < stale_from):
        write_value(connection, PNL_STALE_FROM, cursor)
        lowered[PNL_STALE_FROM] = cursor
    behind = "networthCursor" not in lowered and _has_networth_from(connection, changed_from)
    return PriceInvalidation(lowered, deleted, behind)


def _has_networth_from(connection: sqlite3.Connection, day: int) -> bool:
    found = connection.execute("SELECT 1 FROM networth WHERE timestamp >= ? LIMIT 1", (day,))
    return found.fetchone() is not None


def _first_day_with_logs(connection: sqlite3.Connection, days: list[int]) -> int | None:
    for day in days:
        found = connection.execute(
            "SELECT 1 FROM audit_logs WHERE timestamp >= ? AND timestamp < ? LIMIT 1",
            (day, day + DAY_MS),
        ).fetchone()
        if found is not None:
            return day
    return None


def transaction_bounds(connection: sqlite3.Connection) -> tuple[int, int] | None:
    """The oldest and newest transaction timestamps, None without transactions (0 is a
    timestamp: 1970-01-01T00:00:00.000Z)."""
    row = connection.execute("SELECT MIN(timestamp), MAX(timestamp) FROM transactions").fetchone()
    return None if row[0] is None else (int(row[0]), int(row[1]))


def has_transactions(connection: sqlite3.Connection) -> bool:
    """Whether the ledger has a transaction; ``lastTx`` cannot tell: it is 0 without any."""
    return connection.execute("SELECT 1 FROM transactions LIMIT 1").fetchone() is not None


def transaction_time_span(connection: sqlite3.Connection) -> tuple[int, int]:
    """``(genesis, lastTx)``: the oldest and newest transaction timestamps, or zeros."""
    return transaction_bounds(connection) or (0, 0)


def record_time_bound(connection: sqlite3.Connection, key: str) -> int:
    """Store and return ``genesis`` (the oldest transaction's timestamp) or ``lastTx`` (the
    newest's), 0 without transactions."""
    genesis, last_tx = transaction_time_span(connection)
    value = genesis if key == "genesis" else last_tx
    write_value(connection, key, value)
    return value
