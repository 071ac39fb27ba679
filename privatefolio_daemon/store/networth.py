"""SQL of daily net worth: its inputs (balance rows, the day's price values) and its rows."""

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from privatefolio_daemon.domain.networth_engine import BalanceRow, NetworthRow
from privatefolio_daemon.sources.prices.price_checks import is_price

NETWORTH_DEFAULT_SQL = "SELECT * FROM networth"
NETWORTH_COLUMNS = ("timestamp", "time", "value", "change", "changePercentage")


def balance_rows_since(connection: sqlite3.Connection, since: int) -> list[BalanceRow]:
    rows = connection.execute(
        "SELECT timestamp, data FROM balances WHERE timestamp >= ? ORDER BY timestamp ASC",
        (since,),
    )
    return [(day, orjson.loads(data) if data else {}) for day, data in rows]


def price_values_since(connection: sqlite3.Connection, since: int) -> dict[int, dict[str, float]]:
    """``{day: {assetId: price.value}}``, each day's rows in the order Privatefolio reads them.
    A stored value that is no price (null, ``1e308``: ``price_checks``) is left out."""
    by_day: dict[int, dict[str, float]] = {}
    rows = connection.execute(
        "SELECT timestamp, assetId, json_extract(price, '$.value') FROM daily_prices "
        "WHERE timestamp >= ? ORDER BY timestamp ASC, rowid ASC",
        (since,),
    )
    for day, asset_id, value in rows:
        if is_price(value):
            by_day.setdefault(day, {})[asset_id] = float(value)
    return by_day


def value_before(connection: sqlite3.Connection, day: int) -> float | None:
    """The value of the latest row before ``day``, if any."""
    row = connection.execute(
        "SELECT value FROM networth WHERE timestamp < ? ORDER BY timestamp DESC LIMIT 1", (day,)
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def upsert_networth(connection: sqlite3.Connection, rows: Iterable[NetworthRow]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO networth (timestamp, time, value, change, changePercentage) "
        "VALUES (?, ?, ?, ?, ?)",
        [(r["timestamp"], r["time"], r["value"], r["change"], r["changePercentage"]) for r in rows],
    )


def delete_networth(connection: sqlite3.Connection, since: int = 0) -> None:
    connection.execute("DELETE FROM networth WHERE timestamp >= ?", (since,))


def networth_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    """Read by position: 0 timestamp, 1 time, 2 value, 3 change, 4 changePercentage."""
    return {
        name: value for name, value in zip(NETWORTH_COLUMNS, row, strict=False) if value is not None
    }


def daily_values(connection: sqlite3.Connection) -> list[tuple[int, float]]:
    rows = connection.execute("SELECT timestamp, value FROM networth ORDER BY timestamp ASC")
    return [(int(day), float(value)) for day, value in rows]
