"""Fiat currencies in USD: USD is 1 on every day up to today; others come from Yahoo's FX symbols
(``EURUSD=X``: the USD price of one EUR), through the shared Yahoo chart client.

Yahoo has no FX candle on weekends (and some holidays): each day between two rates carries the
last rate before it, and so does each day after the last rate up to today
(``market_closes``)."""

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceSeries,
)
from privatefolio_daemon.sources.prices.market_closes import closes_from, with_last_close
from privatefolio_daemon.sources.prices.yahoo import YahooChartClient


def usd_days(since_ms: int, until_ms: int) -> list[ChartData]:
    """One point of value 1 for every UTC day start within ``[since_ms, until_ms]``, up to today
    as every other price (a day after today has none yet)."""
    first = day_start(since_ms)
    if first < since_ms:
        first += DAY_MS
    through = min(until_ms, now_ms())
    return [{"time": day // 1000, "value": 1.0} for day in range(first, through + 1, DAY_MS)]


class FiatProvider:
    id = "fiat"
    name = "Fiat"

    def __init__(self, client: YahooChartClient, *, priority: int = 5) -> None:
        self.client = client
        self.priority = priority

    def supports(self, asset: PricedAsset) -> bool:
        return asset.asset_type == "fiat" or asset.platform == "fiat"

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        currency = asset.ticker.upper()
        if currency == "USD":
            points = usd_days(since_ms, until_ms)
            pair = "USD-USD"
        else:
            pair = f"{currency}USD=X"

            async def fetch(start_ms: int, end_ms: int) -> list[ChartData]:
                return await self.client.daily(pair, asset.id, start_ms, end_ms)

            try:
                points = await with_last_close(fetch, since_ms, until_ms)
            except PriceFetchError as error:
                raise PriceFetchError(self.name, asset.id, error.reason) from error
            points = await self.client.worker.run(closes_from, points, since_ms, until_ms)
        if not points:
            raise EmptyResponse(self.name, asset.id)
        return PriceSeries(pair=pair, points=points)

    async def close(self) -> None:
        await self.client.close()
