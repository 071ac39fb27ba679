"""SQL of daily balances: the ordered log stream, the start state of an incremental run, and the
batched writes of ``audit_logs.balance``/``balanceWallet``, ``balances`` rows and the wallets'
end-of-day snapshots (``wallet_balances``)."""

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

from privatefolio_daemon.domain.balance_engine import BalanceStart, DayRow, LogBalance, WalletDay
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.store.multi_row import execute_values

BALANCES_DEFAULT_SQL = "SELECT * FROM balances ORDER BY timestamp ASC"

# ``rowid`` stands in for the log id: the engine passes it through to the UPDATE untouched, and a
# rowid lookup is one B-tree search where the VARCHAR primary key costs two. ``+wallet`` keeps the
# planner on the (assetId, timestamp) index for the latest-balance lookup.
_LOG_STREAM = (
    "SELECT rowid, assetId, change, timestamp, wallet FROM audit_logs "
    "WHERE timestamp >= ? ORDER BY timestamp ASC, changeN ASC, id ASC"
)
# A log whose balances are already right is left alone: a recompute then rewrites no page.
_UPDATE_LOG = (
    "UPDATE audit_logs SET balance = ?1, balanceWallet = ?2 WHERE rowid = ?3 "
    "AND (balance IS NOT ?1 OR balanceWallet IS NOT ?2)"
)
_UPDATE_LOGS = (
    "UPDATE audit_logs SET balance = v.column1, balanceWallet = v.column2 FROM (VALUES ",
    ") AS v WHERE audit_logs.rowid = v.column3 "
    "AND (audit_logs.balance IS NOT v.column1 OR audit_logs.balanceWallet IS NOT v.column2)",
)
_UPDATE_FROM_VALUES = sqlite3.sqlite_version_info >= (3, 33, 0)
_UPSERT_ROW = "INSERT OR REPLACE INTO balances (timestamp, data) VALUES (?, ?)"
_UPSERT_WALLET_DAY = (
    "INSERT OR REPLACE INTO wallet_balances (timestamp, wallet, data) VALUES (?, ?, ?)"
)
_LATEST_WALLET_DAYS = (
    "SELECT wallet, data, MAX(timestamp) FROM wallet_balances WHERE timestamp < ? GROUP BY wallet"
)
_LATEST_WALLET_BALANCE = (
    "SELECT balanceWallet FROM audit_logs "
    "WHERE assetId = ? AND +wallet = ? AND timestamp < ? "
    "ORDER BY timestamp DESC, changeN DESC, id DESC LIMIT 1"
)


def count_logs(connection: sqlite3.Connection, since: int) -> int:
    row = connection.execute("SELECT COUNT(*) FROM audit_logs WHERE timestamp >= ?", (since,))
    return int(row.fetchone()[0])


def stream_logs(connection: sqlite3.Connection, since: int) -> Iterator[Any]:
    """``(rowid, assetId, change, timestamp, wallet)`` in canonical ascending order, lazily."""
    cursor = connection.execute(_LOG_STREAM, (since,))
    cursor.arraysize = 1000
    return iter(cursor)


def load_start(connection: sqlite3.Connection, since: int) -> BalanceStart:
    """The state before ``since``: the previous day's row and every wallet's latest balances."""
    row = connection.execute(
        "SELECT data FROM balances WHERE timestamp = ?", (since - DAY_MS,)
    ).fetchone()
    totals = orjson.loads(row[0]) if row is not None else None
    snapshots = connection.execute(_LATEST_WALLET_DAYS, (since,)).fetchall()
    if snapshots:
        wallets = {wallet: orjson.loads(data) for wallet, data, _ in snapshots}
    else:
        wallets = _latest_wallet_balances(connection, since)
    return BalanceStart(since=since, totals=totals, wallet_totals=wallets)


def _latest_wallet_balances(
    connection: sqlite3.Connection, since: int
) -> dict[str, dict[str, str]]:
    """Without snapshots (a ledger last computed before they existed): from the audit logs."""
    pairs = connection.execute(
        "SELECT DISTINCT wallet, assetId FROM audit_logs WHERE timestamp < ?", (since,)
    ).fetchall()
    wallets: dict[str, dict[str, str]] = {}
    for wallet, asset_id in pairs:
        latest = connection.execute(_LATEST_WALLET_BALANCE, (asset_id, wallet, since)).fetchone()
        if latest is not None and latest[0] is not None:
            wallets.setdefault(wallet, {})[asset_id] = latest[0]
    return wallets


class BalanceWriter:
    """The engine's sink: ``executemany`` batches on the connection of the running transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def write_log_balances(self, updates: list[LogBalance]) -> None:
        if _UPDATE_FROM_VALUES:
            execute_values(self._connection, _UPDATE_LOGS, "(?, ?, ?)", 3, updates)
        else:
            self._connection.executemany(_UPDATE_LOG, updates)

    def write_day_rows(self, rows: list[DayRow]) -> None:
        dumps = orjson.dumps
        self._connection.executemany(
            _UPSERT_ROW, [(day, dumps(data).decode()) for day, data in rows]
        )

    def write_wallet_days(self, rows: list[WalletDay]) -> None:
        self._connection.executemany(_UPSERT_WALLET_DAY, rows)


def delete_balances_rows(connection: sqlite3.Connection, since: int) -> None:
    connection.execute("DELETE FROM balances WHERE timestamp >= ?", (since,))
    connection.execute("DELETE FROM wallet_balances WHERE timestamp >= ?", (since,))


def delete_balances(connection: sqlite3.Connection, since: int = 0) -> None:
    """Delete the rows from ``since`` on and forget the balances of the logs from then on."""
    delete_balances_rows(connection, since)
    connection.execute(
        "UPDATE audit_logs SET balance = NULL, balanceWallet = NULL "
        "WHERE timestamp >= ? AND (balance IS NOT NULL OR balanceWallet IS NOT NULL)",
        (since,),
    )


def balance_row_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    """``{...data, timestamp}``: column 0 is the day, column 1 the JSON map."""
    data = row[1] if len(row) > 1 else None
    parsed = orjson.loads(data) if isinstance(data, str | bytes) and data else {}
    result: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    result["timestamp"] = row[0]
    return result


def balances_row(connection: sqlite3.Connection, day: int) -> dict[str, str] | None:
    row = connection.execute("SELECT data FROM balances WHERE timestamp = ?", (day,)).fetchone()
    if row is None:
        return None
    data: dict[str, str] = orjson.loads(row[0]) if row[0] else {}
    return data
