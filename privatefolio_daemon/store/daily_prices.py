"""SQL of daily prices (data-model §2.7) and of the asset columns the price fetch reads and sets.

The ``assets`` table is read directly here: the price fetch needs only ``priceApiId`` and
``coingeckoId`` of each owned or favourite asset, and the first day it was owned.
"""

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from privatefolio_daemon.sources.prices.base import ChartData
from privatefolio_daemon.sources.prices.price_checks import is_price
from privatefolio_daemon.store.assets import asset_changed


@dataclass(frozen=True, slots=True)
class OwnedAsset:
    id: str
    first_owned_at: int | None
    price_api_id: str | None
    coingecko_id: str | None


_OWNED_ASSETS = """
SELECT owned.assetId, owned.firstOwnedAt, assets.priceApiId, assets.coingeckoId
FROM (SELECT assetId, MIN(timestamp) AS firstOwnedAt FROM audit_logs GROUP BY assetId) AS owned
LEFT JOIN assets ON assets.id = owned.assetId
UNION ALL
SELECT id, NULL, priceApiId, coingeckoId FROM assets
WHERE favorite = 1 AND id NOT IN (SELECT assetId FROM audit_logs)
ORDER BY 1
"""


def owned_assets(connection: sqlite3.Connection) -> list[OwnedAsset]:
    """Every asset of the audit logs (with its first log time), then the favourites."""
    return [OwnedAsset(*row) for row in connection.execute(_OWNED_ASSETS)]


#: The rows whose price may be none: not JSON, without a numeric ``value``, or one outside the
#: range where every number is a price (``price_checks``); ``_priced`` tells which of them are.
#: The partial index ``daily_prices_unpriced`` (schema 0019) holds these rows, so finding them
#: costs nothing on a long history. Its WHERE must stay this very expression.
_MAYBE_UNPRICED = """
CASE json_valid(price) WHEN 1 THEN
  CASE json_type(price, '$.value') WHEN 'integer' THEN 0 WHEN 'real' THEN 0 ELSE 1 END
  OR json_extract(price, '$.value') < 1e-63 OR json_extract(price, '$.value') >= 1e80
ELSE 1 END
"""


@dataclass(frozen=True, slots=True)
class StoredSpan:
    """Of one asset: its first and last stored price days, the earliest day its prices were
    asked from (None: never by a fetch, such as prices written with ``executeSql``), its
    latest stored prices, oldest first, and its first day whose stored price is none."""

    first: int
    last: int
    asked_from: int | None
    latest: list[ChartData]
    unpriced_from: int | None = None


def stored_spans(connection: sqlite3.Connection, latest_days: int) -> dict[str, StoredSpan]:
    """The span of each asset's prices, with its last ``latest_days`` prices."""
    rows = connection.execute(
        "SELECT prices.assetId, prices.first, prices.last, asked.askedFrom "
        "FROM (SELECT assetId, MIN(timestamp) AS first, MAX(timestamp) AS last "
        "      FROM daily_prices GROUP BY assetId) AS prices "
        "LEFT JOIN price_requests AS asked ON asked.assetId = prices.assetId"
    ).fetchall()
    unpriced = _first_unpriced_days(connection)
    return {
        asset_id: StoredSpan(
            first,
            last,
            asked,
            _latest(connection, asset_id, latest_days),
            unpriced.get(asset_id),
        )
        for asset_id, first, last, asked in rows
    }


def _first_unpriced_days(connection: sqlite3.Connection) -> dict[str, int]:
    """Each asset's first day whose stored price is none, for the assets that have one."""
    first: dict[str, int] = {}
    rows = connection.execute(
        f"SELECT assetId, timestamp, price FROM daily_prices WHERE {_MAYBE_UNPRICED} "
        "ORDER BY assetId, timestamp"
    )
    for asset_id, day, price in rows:
        if asset_id not in first and not _priced(price):
            first[asset_id] = day
    return first


def delete_unpriced(connection: sqlite3.Connection, asset_id: str, since: int, until: int) -> int:
    """Delete the asset's rows from ``since`` to ``until`` whose price is none (a fetch of those
    days had no price to put there); returns how many."""
    rows = connection.execute(
        "SELECT id, price FROM daily_prices WHERE assetId = ? AND timestamp BETWEEN ? AND ? "
        f"AND {_MAYBE_UNPRICED}",
        (asset_id, since, until),
    ).fetchall()
    unpriced = [(row_id,) for row_id, price in rows if not _priced(price)]
    connection.executemany("DELETE FROM daily_prices WHERE id = ?", unpriced)
    return len(unpriced)


def _latest(connection: sqlite3.Connection, asset_id: str, days: int) -> list[ChartData]:
    rows = connection.execute(
        "SELECT price FROM daily_prices WHERE assetId = ? ORDER BY timestamp DESC LIMIT ?",
        (asset_id, days),
    ).fetchall()
    return [orjson.loads(price) for (price,) in reversed(rows) if price]


def note_asked(connection: sqlite3.Connection, asset_id: str, since: int) -> None:
    """Remember that the asset's prices were asked from ``since`` (the earliest such day)."""
    connection.execute(
        "INSERT INTO price_requests (assetId, askedFrom) VALUES (?, ?) "
        "ON CONFLICT (assetId) DO UPDATE SET askedFrom = MIN(askedFrom, excluded.askedFrom)",
        (asset_id, since),
    )


@dataclass(frozen=True, slots=True)
class PricesWritten:
    rows: int
    changed_from: int | None
    """The first day whose stored price is new or different."""
    added_days: list[int]
    """The days that had no price of the asset before (or none that was one)."""


def upsert_prices(
    connection: sqlite3.Connection,
    asset_id: str,
    pair: str,
    price_api_id: str,
    points: Iterable[ChartData],
) -> PricesWritten:
    rows = [
        (
            f"{asset_id}_{point['time'] * 1000}",
            asset_id,
            point["time"] * 1000,
            orjson.dumps(point).decode(),
            pair,
            price_api_id,
        )
        for point in points
    ]
    if not rows:
        return PricesWritten(0, None, [])
    stored = dict(
        connection.execute(
            "SELECT timestamp, price FROM daily_prices "
            "WHERE assetId = ? AND timestamp BETWEEN ? AND ?",
            (asset_id, min(row[2] for row in rows), max(row[2] for row in rows)),
        ).fetchall()
    )
    changed = [row[2] for row in rows if stored.get(row[2]) != row[3]]
    connection.executemany(
        "INSERT OR REPLACE INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    added = [day for day in changed if not _priced(stored.get(day))]
    return PricesWritten(len(rows), min(changed, default=None), added)


def _priced(price: str | None) -> bool:
    """Whether a stored price (JSON) is one: ``{"value": null}``, which an older version stored
    for a NaN, is none."""
    try:
        point = orjson.loads(price) if price else None
    except orjson.JSONDecodeError:
        return False
    return isinstance(point, dict) and is_price(point.get("value"))


def remember_price_api(
    connection: sqlite3.Connection, asset_id: str, symbol: str, price_api_id: str
) -> None:
    """Set ``assets.priceApiId``, creating the asset's row when it has none."""
    updated = connection.execute(
        "UPDATE assets SET priceApiId = ? WHERE id = ?", (price_api_id, asset_id)
    ).rowcount
    if not updated:
        connection.execute(
            "INSERT INTO assets (id, symbol, priceApiId) VALUES (?, ?, ?)",
            (asset_id, symbol, price_api_id),
        )
    asset_changed(connection, asset_id)


def prices_for_asset(
    connection: sqlite3.Connection,
    asset_id: str,
    day: int | None,
    start: int | None,
    end: int | None,
) -> list[ChartData]:
    sql = "SELECT price FROM daily_prices WHERE assetId = ?"
    params: list[Any] = [asset_id]
    if day is not None:
        sql += " AND timestamp = ?"
        params.append(day)
    if start is not None:
        sql += " AND timestamp >= ?"
        params.append(start)
    if end is not None:
        sql += " AND timestamp <= ?"
        params.append(end)
    sql += " ORDER BY timestamp ASC"
    return [orjson.loads(price) for (price,) in connection.execute(sql, params) if price]


def prices_of_day(connection: sqlite3.Connection, day: int) -> dict[str, ChartData]:
    rows = connection.execute(
        "SELECT assetId, price FROM daily_prices WHERE timestamp = ? ORDER BY rowid", (day,)
    )
    return {asset_id: orjson.loads(price) for asset_id, price in rows if price}


def delete_prices(connection: sqlite3.Connection) -> tuple[int, list[int]]:
    """Delete every daily price; returns how many, and the days that had one (ascending)."""
    days = [day for (day,) in connection.execute("SELECT DISTINCT timestamp FROM daily_prices")]
    connection.execute("DELETE FROM price_requests")
    return connection.execute("DELETE FROM daily_prices").rowcount, sorted(days)


def delete_asset_prices(connection: sqlite3.Connection, asset_id: str) -> list[int]:
    """Delete an asset's daily prices and the days asked for; returns the days it had a price
    (ascending)."""
    days = [
        day
        for (day,) in connection.execute(
            "SELECT timestamp FROM daily_prices WHERE assetId = ? ORDER BY timestamp", (asset_id,)
        )
    ]
    connection.execute("DELETE FROM price_requests WHERE assetId = ?", (asset_id,))
    connection.execute("DELETE FROM daily_prices WHERE assetId = ?", (asset_id,))
    return days


def price_api_id(connection: sqlite3.Connection, asset_id: str) -> str | None:
    """The asset's stored ``priceApiId``."""
    row = connection.execute("SELECT priceApiId FROM assets WHERE id = ?", (asset_id,)).fetchone()
    return None if row is None else row[0]
