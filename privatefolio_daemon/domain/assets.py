"""An account's assets: the ones it holds (or marked favourite), enriched from the asset lookup,
and the preferences the user stored (favourite, price API, name, logo, coingeckoId).

Stored non-null values win over the lookup; ``symbol`` is always the ticker of the id. A change
of ``priceApiId`` starts the asset's prices again from the new source (``price_sources``).
"""

import sqlite3
from collections.abc import Iterable
from typing import Any, TypedDict

from privatefolio_daemon.domain import asset_ids
from privatefolio_daemon.domain.asset_catalog import AssetCatalog, CatalogAsset, search_assets
from privatefolio_daemon.domain.derived_steps import SqlCancel
from privatefolio_daemon.domain.errors import InvalidInputError, shortened
from privatefolio_daemon.domain.events import LISTINGS_CHANGED, EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation
from privatefolio_daemon.domain.listed_assets import ListedAssets
from privatefolio_daemon.domain.logo_urls import is_logo_url
from privatefolio_daemon.domain.price_sources import (
    announce_restart,
    check_price_api_id,
    restart_chosen_prices,
    restart_prices,
)
from privatefolio_daemon.domain.text_bounds import bounded_text
from privatefolio_daemon.store import assets as store
from privatefolio_daemon.store.database import Database, Row
from privatefolio_daemon.store.seen_through import seen_through

#: Asset types beyond crypto whose positions are traded (fiat is what they are paid in).
_TRADED_TYPES = ("stock", "fund", "metal")

_ENRICHED_FIELDS = ("name", "logoUrl", "coingeckoId", "marketCapRank", "platforms")

ASSET_ID_MAX_CHARS = 200
ASSET_NAME_MAX_CHARS = 200
LOGO_URL_MAX_CHARS = 2048
_TEXT_FIELDS = {
    "name": ("Asset name", ASSET_NAME_MAX_CHARS),
    "logoUrl": ("Logo URL", LOGO_URL_MAX_CHARS),
    "coingeckoId": ("CoinGecko id", ASSET_ID_MAX_CHARS),
    "priceApiId": ("Price API id", ASSET_ID_MAX_CHARS),
}


def _is_listed(asset: dict[str, Any]) -> bool:
    return bool(asset.get("coingeckoId")) or asset_ids.asset_type(asset["id"]) in _TRADED_TYPES


class AssetPatch(TypedDict, total=False):
    favorite: bool | None
    priceApiId: str | None
    name: str | None
    logoUrl: str | None
    coingeckoId: str | None


class AssetRecord(AssetPatch, total=False):
    id: str
    symbol: str


class Assets:
    def __init__(self, account: str, db: Database, events: EventBus, catalog: AssetCatalog) -> None:
        self.account = account
        self._db = db
        self._events = events
        self.catalog = catalog

    async def enrich_rows(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        """``getMyAssets`` rows (read by position) as MyAsset objects."""
        await self.catalog.ensure_loaded()
        return [self._enrich(dict(zip(store.MY_ASSET_COLUMNS, row, strict=False))) for row in rows]

    def _enrich(self, stored: dict[str, Any]) -> dict[str, Any]:
        asset_id = str(stored["id"])
        record: dict[str, Any] = {"id": asset_id}
        match = self.catalog.match(asset_id)
        if isinstance(chosen := stored.get("coingeckoId"), str):  # the user's pick wins
            match = self.catalog.find_by_key(chosen) or match
        if match is not None:
            record.update({key: match[key] for key in _ENRICHED_FIELDS if key in match})
        for key, value in stored.items():
            if value is not None and key not in ("id", "symbol"):
                record[key] = bool(value) if key == "favorite" else value
        record["symbol"] = asset_ids.ticker(asset_id)
        record["type"] = asset_ids.asset_type(asset_id)
        return record

    async def my_assets(self) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(store.MY_ASSETS_SQL)
        return await self.enrich_rows(rows)

    async def listed_ids(self) -> ListedAssets:
        """The assets that get trades: those with a coingeckoId (stored or from the lookup), as
        in Privatefolio, and every stock, fund and metal (which have none)."""
        assets = await self.my_assets()
        listed = frozenset(asset["id"] for asset in assets if _is_listed(asset))
        known = frozenset(asset["id"] for asset in assets)
        return ListedAssets(listed, known, self._listed_by_lookup)

    def _listed_by_lookup(self, asset_id: str) -> bool:
        return _is_listed({"id": asset_id, "coingeckoId": self.catalog.coingecko_id(asset_id)})

    async def get(self, asset_id: str) -> dict[str, Any] | None:
        """The asset held or stored under this id (as ``patchAsset`` reads one: ``stock: aapl``
        is ``stock:AAPL``), its lookup entry, or the best match of the lookup under the
        match's own id (``lpt`` is not an asset id: Livepeer comes back as ``coingecko:…``)."""
        asset_id = asset_ids.cleaned(asset_id)
        row = await self._db.fetch_one(store.ONE_ASSET_SQL, (asset_id, asset_id, asset_id))
        assert row is not None
        [asset] = await self.enrich_rows([row])
        held_or_stored = any(value is not None for value in row[1:])
        if held_or_stored or (
            asset_ids.is_asset_id(asset_id) and self.catalog.match(asset_id) is not None
        ):
            return asset
        found = self.catalog.find_by_key(asset_id) or _first(
            await self.catalog.search(asset_id, 1, True)
        )
        return None if found is None else _as_my_asset(found)

    async def upsert(self, asset: AssetRecord) -> None:
        asset_id = _require_id(asset.get("id"))
        record = {**_checked_fields(asset), "id": asset_id, "symbol": asset_ids.ticker(asset_id)}

        restarted = await self._db.transaction(
            lambda connection: _store(connection, store.stored_asset(connection, asset_id), record)
        )
        # the record replaced may have had a coingeckoId
        self.announce_changed(listing=True, prices=restarted)

    async def patch(self, asset_id: str, patch: AssetPatch) -> None:
        restarted = await self._db.transaction(
            lambda connection: patch_asset(connection, asset_id, patch)
        )
        self.announce_changed(listing="coingeckoId" in patch, prices=restarted)

    async def delete_preferences(self, cancel: SqlCancel) -> int:
        """Delete every asset's stored preferences. An asset that had a price API chosen starts
        its prices again, as when its choice changes, so its history comes from one source.
        Cancelled before the commit, it deletes nothing."""

        def delete(connection: sqlite3.Connection) -> tuple[int, PriceInvalidation | None]:
            chosen = store.chosen_price_apis(connection)
            deleted = store.delete_all_assets(connection)
            restarted = restart_chosen_prices(connection, chosen)
            cancel.checkpoint()
            return deleted, restarted

        deleted, restarted = await seen_through(self._db.transaction(cancel.guard_sql(delete)))
        self.announce_changed(listing=True, prices=restarted)  # coingeckoIds went too
        return deleted

    async def find(self, query: str, limit: int, strict: bool, mine: bool) -> list[CatalogAsset]:
        await self.catalog.ensure_loaded()
        if mine:
            return search_assets(await self.my_assets(), query, limit, strict)
        return await self.catalog.search(query, limit, strict)

    def announce_changed(
        self, *, listing: bool = False, prices: PriceInvalidation | None = None
    ) -> None:
        """Tell the account's listeners; ``listing``: a coingeckoId may have changed too;
        ``prices``: the asset's prices were deleted, its price source changed."""
        self._events.emit("metadata", account=self.account)
        if listing:
            self._events.emit(LISTINGS_CHANGED, self.account)
        if prices is not None:
            announce_restart(self._events, self.account, prices)


def patch_asset(
    connection: sqlite3.Connection, asset_id: str, patch: AssetPatch
) -> PriceInvalidation | None:
    """Merge ``patch`` into the stored preferences, stored first if there were none (as
    Privatefolio's ``patchAsset`` does, rpc-methods §5.7). Returns what deleting the asset's
    prices made stale when its ``priceApiId`` changed, else None."""
    asset_id = _require_id(asset_id)
    checked = _checked_fields(patch)
    stored = store.stored_asset(connection, asset_id)
    merged = {**(stored or {"id": asset_id}), **checked, "symbol": asset_ids.ticker(asset_id)}
    return _store(connection, stored, merged)


def _store(
    connection: sqlite3.Connection, stored: dict[str, Any] | None, record: dict[str, Any]
) -> PriceInvalidation | None:
    before = None if stored is None else stored["priceApiId"]
    after = record.get("priceApiId")
    check_price_api_id(after, before)
    store.upsert_asset(connection, record)
    return restart_prices(connection, record["id"], before, after)


def _require_id(asset_id: Any) -> str:
    if not isinstance(asset_id, str) or not asset_id.strip():
        raise InvalidInputError("An asset needs an id, e.g. stock:AAPL or ex.binance:BTC")
    checked = asset_ids.cleaned(bounded_text("Asset id", asset_id, ASSET_ID_MAX_CHARS))
    if not asset_ids.is_asset_id(checked):
        raise InvalidInputError(
            f'"{shortened(checked)}" is not an asset id: write <platform>:<symbol>, e.g. '
            "stock:AAPL, fiat:EUR or ex.binance:BTC"
        )
    if problem := asset_ids.contract_problem(checked):
        raise InvalidInputError(f"Asset id: {problem}")
    return checked


#: Ids, which are looked up as they are: a pasted space would make them another.
_TRIMMED_FIELDS = ("coingeckoId", "priceApiId")


def _checked_fields(asset: AssetPatch) -> dict[str, Any]:
    """The fields checked, an empty or blank text stored as none (data-model §2)."""
    checked: dict[str, Any] = dict(asset)
    for field, value in asset.items():
        if field in _TEXT_FIELDS and isinstance(value, str):
            what, limit = _TEXT_FIELDS[field]
            bounded_text(what, value, limit)
            if not value.strip():
                checked[field] = None
            elif field in _TRIMMED_FIELDS:
                checked[field] = value.strip()
    if checked.get("logoUrl") is not None:
        _check_logo_url(checked["logoUrl"])
    return checked


def _check_logo_url(url: str) -> None:
    if is_logo_url(url):
        return
    raise InvalidInputError(
        f"The logo URL must be an http(s) address or a data:image URL, not {shortened(url)!r}"
    )


def _first(items: list[CatalogAsset]) -> CatalogAsset | None:
    return items[0] if items else None


def _as_my_asset(asset: CatalogAsset) -> dict[str, Any]:
    return {**asset, "symbol": asset_ids.ticker(asset["id"]), "type": asset["type"]}
