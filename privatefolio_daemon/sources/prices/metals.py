"""Gold (``XAU``) and silver (``XAG``) in USD per troy ounce.

Source: the front-month COMEX futures on Yahoo Finance, ``GC=F`` for gold and ``SI=F`` for silver,
through the same chart client as stocks (``yahoo.YahooChartClient``). Chosen because it is
keyless, has daily OHLC candles for decades, and shares the Yahoo rate budget instead of adding a
host; the spot-price APIs considered (metals-api, goldapi) need a key. A front-month future sits
slightly above spot (carry), a difference far below what a portfolio valuation notices.

The futures do not trade on weekends and holidays: those days, and today before the market opens,
carry the last close before them (``market_closes``).
"""

from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceSeries,
)
from privatefolio_daemon.sources.prices.market_closes import closes_from, with_last_close
from privatefolio_daemon.sources.prices.metal_symbols import METAL_SYMBOLS
from privatefolio_daemon.sources.prices.yahoo import YahooChartClient


class MetalsProvider:
    id = "metals"
    name = "Metals"

    def __init__(self, client: YahooChartClient, *, priority: int = 5) -> None:
        self.client = client
        self.priority = priority

    def supports(self, asset: PricedAsset) -> bool:
        return asset.asset_type == "metal" and asset.ticker.upper() in METAL_SYMBOLS

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        symbol = METAL_SYMBOLS.get(asset.ticker.upper())
        if symbol is None:
            raise PriceFetchError(self.name, asset.id, f"no source for metal {asset.ticker}")

        async def fetch(start_ms: int, end_ms: int) -> list[ChartData]:
            return await self.client.daily(symbol, asset.id, start_ms, end_ms)

        try:
            points = await with_last_close(fetch, since_ms, until_ms)
        except PriceFetchError as error:
            raise PriceFetchError(self.name, asset.id, error.reason) from error
        if not points:
            raise EmptyResponse(self.name, asset.id)
        points = await self.client.worker.run(closes_from, points, since_ms, until_ms)
        return PriceSeries(pair=symbol, points=points)

    async def close(self) -> None:
        await self.client.close()
