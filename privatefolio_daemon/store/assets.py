"""SQL of the ``assets`` table (stored preferences) and of the "my assets" listing."""

import sqlite3
from typing import Any

from privatefolio_daemon.store.change_log import append_change

ASSET_COLUMNS = ("id", "symbol", "name", "logoUrl", "priceApiId", "coingeckoId", "favorite")
#: Positions of a ``getMyAssets`` row (data-model §2.4).
MY_ASSET_COLUMNS = (
    "id", "name", "symbol", "logoUrl", "priceApiId", "coingeckoId", "favorite", "firstOwnedAt",
)  # fmt: skip

MY_ASSETS_SQL = """
SELECT owned.id, assets.name, assets.symbol, assets.logoUrl, assets.priceApiId,
       assets.coingeckoId, assets.favorite, owned.firstOwnedAt
FROM (
  SELECT assetId AS id, MIN(timestamp) AS firstOwnedAt FROM audit_logs GROUP BY assetId
  UNION ALL
  SELECT id, NULL FROM favorite_assets WHERE id NOT IN (SELECT assetId FROM audit_logs)
) AS owned
LEFT JOIN assets ON assets.id = owned.id
ORDER BY owned.id ASC
"""

ONE_ASSET_SQL = """
SELECT ?, assets.name, assets.symbol, assets.logoUrl, assets.priceApiId, assets.coingeckoId,
       assets.favorite, (SELECT MIN(timestamp) FROM audit_logs WHERE assetId = ?)
FROM (SELECT 1) LEFT JOIN assets ON assets.id = ?
"""

_UPSERT = (
    f"INSERT OR REPLACE INTO assets ({', '.join(ASSET_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ASSET_COLUMNS)})"
)


def stored_asset(connection: sqlite3.Connection, asset_id: str) -> dict[str, Any] | None:
    row = connection.execute("SELECT * FROM assets WHERE id = ?", (asset_id,)).fetchone()
    return None if row is None else dict(zip(ASSET_COLUMNS, row, strict=True))


def synced_asset(connection: sqlite3.Connection, asset_id: str) -> dict[str, Any] | None:
    """The preferences stored for an asset, as the change feed carries them."""
    stored = stored_asset(connection, asset_id)
    if stored is None:
        return None
    favorite = stored["favorite"]
    return {**stored, "favorite": None if favorite is None else bool(favorite)}


def upsert_asset(connection: sqlite3.Connection, record: dict[str, Any]) -> None:
    favorite = record.get("favorite")
    values = {**record, "favorite": None if favorite is None else int(bool(favorite))}
    connection.execute(_UPSERT, [values.get(column) for column in ASSET_COLUMNS])
    asset_changed(connection, record["id"])


def asset_changed(connection: sqlite3.Connection, asset_id: str) -> None:
    append_change(connection, "asset", asset_id, synced_asset(connection, asset_id))


def chosen_price_apis(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(asset id, price API)`` of the assets whose price API is chosen."""
    rows = connection.execute("SELECT id, priceApiId FROM assets WHERE priceApiId IS NOT NULL")
    return [(str(asset_id), str(api)) for asset_id, api in rows]


def delete_all_assets(connection: sqlite3.Connection) -> int:
    for (asset_id,) in connection.execute("SELECT id FROM assets").fetchall():
        append_change(connection, "asset", asset_id, None)
    return connection.execute("DELETE FROM assets").rowcount
