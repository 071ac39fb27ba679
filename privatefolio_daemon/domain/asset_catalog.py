"""The asset lookup: the starter list ``data/assets.json`` plus the downloaded coin list.

It answers "what is this asset id?" (name, coingeckoId, logo…) for ``getMyAssets`` and decides
which assets are *listed* (have a coingeckoId), which spam detection relies on. Matching follows
data-model §3.1: an exact catalog id, the native coin of a chain, a token contract on its chain,
and otherwise the ticker among assets of the same type. On-chain tokens are matched by contract
only, so a spam token that borrows a famous symbol stays unlisted.
"""

import asyncio
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from privatefolio_daemon.domain import asset_ids
from privatefolio_daemon.domain.coin_list import cache_path, read_cached_coin_list
from privatefolio_daemon.domain.platforms import PlatformCatalog
from privatefolio_daemon.resources import static_data_dir

#: An asset as the lookup knows it: ``{id, symbol, name, type, coingeckoId?, platforms?,
#: marketCapRank?, logoUrl?}`` (the ``Asset`` shape of the wire).
CatalogAsset = dict[str, Any]

_NO_RANK = 1 << 30


@cache
def starter_assets() -> tuple[CatalogAsset, ...]:
    raw = orjson.loads((static_data_dir() / "assets.json").read_bytes())["assets"]
    return tuple(_compact(dict(item)) for item in raw)


def _from_coin(coin: dict[str, Any]) -> CatalogAsset:
    symbol = str(coin["symbol"]).upper()
    return _compact(
        {
            "id": f"coingecko:{coin['id']}:{symbol}",
            "symbol": symbol,
            "name": coin.get("name") or symbol,
            "type": "crypto",
            "coingeckoId": coin["id"],
            "platforms": coin.get("platforms") or None,
            "marketCapRank": coin.get("market_cap_rank"),
            "logoUrl": coin.get("logoUrl"),
        }
    )


def _compact(record: dict[str, Any]) -> CatalogAsset:
    return {key: value for key, value in record.items() if value is not None}


def _rank(asset: CatalogAsset) -> int:
    rank = asset.get("marketCapRank")
    return rank if isinstance(rank, int) else _NO_RANK


class AssetCatalog:
    def __init__(self, data_dir: Path, platforms: PlatformCatalog) -> None:
        self.coin_list_path = cache_path(data_dir)
        self._platforms = platforms
        self._loaded = False
        self._coin_count = 0
        self._build(starter_assets())

    @property
    def coin_count(self) -> int:
        return self._coin_count

    async def ensure_loaded(self) -> None:
        """Read the cached coin list once (off the event loop)."""
        if not self._loaded:
            coins = await asyncio.to_thread(read_cached_coin_list, self.coin_list_path)
            if not self._loaded:
                await self.load(coins)

    async def load(self, coins: list[dict[str, Any]]) -> None:
        """``use_coin_list`` on a thread: a list of 200,000 coins takes seconds to index."""
        await asyncio.to_thread(self.use_coin_list, coins)

    def use_coin_list(self, coins: Iterable[dict[str, Any]]) -> None:
        converted = [_from_coin(coin) for coin in coins]
        self._coin_count = len(converted)
        self._build((*starter_assets(), *converted))
        self._loaded = True

    def _build(self, assets: Iterable[CatalogAsset]) -> None:
        """Make the lookups, then put them in place at once: a large list is built on a
        thread while the event loop goes on reading the ones before."""
        built: list[CatalogAsset] = list(assets)
        by_id: dict[str, CatalogAsset] = {}
        by_coingecko: dict[str, CatalogAsset] = {}
        by_contract: dict[tuple[str, str], CatalogAsset] = {}
        by_platform: dict[str, list[CatalogAsset]] = {}
        by_symbol: dict[tuple[str, str], CatalogAsset] = {}
        tied: set[tuple[str, str]] = set()
        for asset in built:  # the starter list comes first, so its entries win
            by_id.setdefault(asset["id"], asset)
            if "coingeckoId" in asset:
                by_coingecko.setdefault(asset["coingeckoId"], asset)
            for platform, address in asset.get("platforms", {}).items():
                if by_contract.setdefault((platform, address.lower()), asset) is asset:
                    by_platform.setdefault(platform, []).append(asset)
            key = (asset["symbol"].upper(), asset["type"])
            best = by_symbol.get(key)
            if best is None or (_rank(asset) < _rank(best) and not _is_starter(best)):
                by_symbol[key] = asset
                tied.discard(key)
            elif _rank(asset) == _rank(best) and not _is_starter(best):
                tied.add(key)
        # A ticker that names several coins, none ranked above the others (CoinGecko's list has
        # no ranks), names none: the first by id would often be an impostor.
        self._assets, self._by_id, self._by_coingecko = built, by_id, by_coingecko
        self._by_contract, self._by_platform = by_contract, by_platform
        self._by_symbol = {key: asset for key, asset in by_symbol.items() if key not in tied}

    def match(self, asset_id: str) -> CatalogAsset | None:
        """The best catalog entry for an asset id, or None."""
        found = self._by_id.get(asset_id)
        if found is not None:
            return found
        platform = asset_ids.platform(asset_id)
        if platform == "coingecko":
            return self._by_coingecko.get(asset_id.split(":")[1])
        contract = asset_ids.contract(asset_id)
        if platform.startswith("chain.") and contract is not None:
            if contract.lower() == asset_ids.NATIVE_CONTRACT:
                return self._native_coin(platform, asset_id)
            return self._by_contract.get((platform.removeprefix("chain."), contract.lower()))
        return self._by_symbol.get((asset_ids.ticker(asset_id), asset_ids.asset_type(asset_id)))

    def coingecko_id(self, asset_id: str) -> str | None:
        """The coingeckoId of the best entry for an asset id, or None."""
        match = self.match(asset_id)
        return None if match is None else match.get("coingeckoId")

    def _native_coin(self, platform: str, asset_id: str) -> CatalogAsset | None:
        coingecko_id = self._platforms.native_coingecko_id(platform)
        if coingecko_id is None:
            return None
        ticker = asset_ids.ticker(asset_id)
        return self._by_coingecko.get(coingecko_id) or {
            "id": f"coingecko:{coingecko_id}:{ticker}",
            "symbol": ticker,
            "name": ticker,
            "type": "crypto",
            "coingeckoId": coingecko_id,
        }

    def on_platform(self, platform_id: str) -> list[CatalogAsset]:
        """The assets with a contract on a chain (``chain.<coingecko platform>``), best market-cap
        rank first; one per contract, as ``match`` finds them."""
        if not platform_id.startswith("chain."):
            return []
        found = self._by_platform.get(platform_id.removeprefix("chain."), [])
        return [dict(asset) for asset in sorted(found, key=_rank)]

    def find_by_key(self, key: str) -> CatalogAsset | None:
        """An entry by catalog id or coingeckoId (for ids nobody holds)."""
        return self._by_id.get(key) or self._by_coingecko.get(key)

    async def search(self, query: str, limit: int, strict: bool) -> list[CatalogAsset]:
        """``search_assets`` over the whole list, on a thread (a second per search of a full
        CoinGecko list on a slow machine, as the user types)."""
        return await asyncio.to_thread(search_assets, self._assets, query, limit, strict)


def _is_starter(asset: CatalogAsset) -> bool:
    return not asset["id"].startswith("coingecko:")


def search_assets(
    assets: Iterable[CatalogAsset], query: str, limit: int, strict: bool
) -> list[CatalogAsset]:
    """Case-insensitive search: exact id/coingeckoId/symbol first, then symbol contains, then
    contract equals; non-strict also matches id, name or coingeckoId substrings. Each asset
    appears once; ties go to the better market-cap rank."""
    needle = query.strip().lower()
    if not needle or limit <= 0:
        return []
    ranked: list[tuple[int, int, int, CatalogAsset]] = []
    for order, asset in enumerate(assets):
        tier = _tier(asset, needle, strict)
        if tier is not None:
            ranked.append((tier, _rank(asset), order, asset))
    ranked.sort(key=lambda item: item[:3])
    found: list[CatalogAsset] = []
    seen: set[str] = set()
    for *_, asset in ranked:
        if asset["id"] not in seen:
            seen.add(asset["id"])
            found.append(dict(asset))
            if len(found) == limit:
                break
    return found


def _tier(asset: CatalogAsset, needle: str, strict: bool) -> int | None:
    asset_id = asset["id"].lower()
    coingecko_id = str(asset.get("coingeckoId", "")).lower()
    symbol = str(asset.get("symbol", "")).lower()
    if needle in (asset_id, coingecko_id, symbol):
        return 0
    if needle in symbol:
        return 1
    contracts = {address.lower() for address in asset.get("platforms", {}).values()}
    contract = asset_ids.contract(asset["id"])
    if contract:
        contracts.add(contract.lower())
    if needle in contracts:
        return 2
    if not strict and any(
        needle in text for text in (asset_id, str(asset.get("name", "")).lower(), coingecko_id)
    ):
        return 3
    return None
