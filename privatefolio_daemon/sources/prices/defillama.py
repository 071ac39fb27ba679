"""DefiLlama daily prices for on-chain tokens, keyed by ``<defillama chain>:<contract>``.

``GET {base}/chart/{chain}:{contract}?start=<s>&span=<points>&period=1d`` answers
``{"coins": {"ethereum:0x…": {"symbol": "WETH", "decimals": 18, "confidence": 0.99, "prices":
[{"timestamp": 1706538317, "price": 2249.34}, …]}}}``; an unknown token gives ``{"coins": {}}``.
Each price sits near the day it was asked for, not exactly on it, so it is assigned to the nearest
UTC day start. ``span`` is bounded (``page_days``, 500 by default), so long ranges are fetched in
consecutive pages.

DefiLlama names chains its own way; ``CHAIN_NAMES`` maps our platform ids (CoinGecko's asset
platform ids with a ``chain.`` prefix) to them. A platform missing from the table is sent as is.
"""

from typing import Any
from urllib.parse import quote

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceSeries,
)
from privatefolio_daemon.sources.prices.http_fetch import JsonFetcher
from privatefolio_daemon.sources.prices.price_checks import PriceCheck, SkipReport, log_skipped
from privatefolio_daemon.sources.prices.price_settings import DEFILLAMA_URL

CHAIN_NAMES = {
    "ethereum": "ethereum",
    "polygon-pos": "polygon",
    "arbitrum-one": "arbitrum",
    "optimistic-ethereum": "optimism",
    "base": "base",
    "binance-smart-chain": "bsc",
    "avalanche": "avax",
    "xdai": "xdai",
    "fantom": "fantom",
    "zksync": "era",
    "arbitrum-nova": "arbitrum_nova",
    "polygon-zkevm": "polygon_zkevm",
    "harmony-shard-0": "harmony",
    "metis-andromeda": "metis",
    "linea": "linea",
    "scroll": "scroll",
    "blast": "blast",
    "mantle": "mantle",
    "celo": "celo",
    "cronos": "cronos",
    "moonbeam": "moonbeam",
}


def defillama_chain(platform: str) -> str:
    """``chain.polygon-pos`` → ``polygon``."""
    coingecko_platform = platform.removeprefix("chain.")
    return CHAIN_NAMES.get(coingecko_platform, coingecko_platform)


class DefiLlamaProvider:
    id = "defi-llama"
    name = "DefiLlama"

    def __init__(
        self,
        fetcher: JsonFetcher,
        *,
        base_url: str = DEFILLAMA_URL,
        priority: int = 5,
        page_days: int = 500,
        on_skipped: SkipReport = log_skipped,
    ) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")
        self.priority = priority
        self.page_days = page_days
        self._check = PriceCheck(self.name, on_skipped)

    def supports(self, asset: PricedAsset) -> bool:
        return bool(asset.platform and asset.platform.startswith("chain.") and asset.contract)

    def coin_id(self, asset: PricedAsset) -> str:
        if not asset.platform or not asset.contract:
            raise PriceFetchError(self.name, asset.id, "not an on-chain token")
        return f"{defillama_chain(asset.platform)}:{asset.contract}"

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        coin = self.coin_id(asset)
        by_time: dict[int, ChartData] = {}
        last_day = day_start(until_ms)
        page_start = day_start(since_ms)
        while page_start <= last_day:
            span = min(self.page_days, (last_day - page_start) // DAY_MS + 1)
            for point in await self._page(coin, asset.id, page_start, span):
                if since_ms <= point["time"] * 1000 <= until_ms:
                    by_time[point["time"]] = point
            page_start += span * DAY_MS
        if not by_time:
            raise EmptyResponse(self.name, asset.id)
        return PriceSeries(pair=coin, points=[by_time[time] for time in sorted(by_time)])

    async def close(self) -> None:
        await self.fetcher.close()

    async def _page(self, coin: str, asset_id: str, first_day: int, span: int) -> list[ChartData]:
        url = f"{self.base_url}/chart/{quote(coin, safe=':')}"
        params = {"start": str(first_day // 1000), "span": str(span), "period": "1d"}
        body = await self.fetcher.get_json(url, asset_id=asset_id, params=params)
        return self._read(body, coin, asset_id)

    def _read(self, body: Any, coin: str, asset_id: str) -> list[ChartData]:
        coins = body.get("coins") if isinstance(body, dict) else None
        if not isinstance(coins, dict):
            raise self.fetcher.malformed(asset_id, "no coins object")
        entry = next((v for k, v in coins.items() if k.lower() == coin.lower()), None)
        if entry is None:
            return []
        prices = entry.get("prices") if isinstance(entry, dict) else None
        if not isinstance(prices, list):
            raise self.fetcher.malformed(asset_id, f"coins[{coin!r}].prices is not a list")
        points = [self._point(price, index, asset_id) for index, price in enumerate(prices)]
        return [point for point in points if point is not None]

    def _point(self, price: Any, index: int, asset_id: str) -> ChartData | None:
        """The day's price; None (reported) when it is no price (0, 1e308)."""
        timestamp = price.get("timestamp") if isinstance(price, dict) else None
        value = price.get("price") if isinstance(price, dict) else None
        if not isinstance(timestamp, int | float) or not isinstance(value, int | float):
            raise self.fetcher.malformed(asset_id, f"prices[{index}] is {price!r}")
        if isinstance(timestamp, bool) or isinstance(value, bool):
            raise self.fetcher.malformed(asset_id, f"prices[{index}] is {price!r}")
        nearest_day = day_start(int(timestamp * 1000) + DAY_MS // 2)
        checked = self._check.price(asset_id, nearest_day, value)
        return None if checked is None else {"time": nearest_day // 1000, "value": checked}
