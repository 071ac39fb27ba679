"""Prices asked of a provider on the spot, for a chart (``getLivePricesForAsset``); nothing is
stored.

The provider is the one the caller names (an asset's ``priceApiId``), else the providers the
"Fetch asset prices" task would ask, in its order, until one answers. Daily candles are grouped
into 3-day, weekly or monthly ones on request. The window ends at ``until`` (today by default) and
starts at ``since``, or ``limit`` candles back; at most the last ``limit`` candles come back.

The providers are kept between calls (an exchange loads its markets once), and built again when
the price settings change.
"""

import asyncio
from collections.abc import Callable

from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.candle_buckets import BUCKET_DAYS, BUCKETS, CandleInterval
from privatefolio_daemon.domain.errors import InvalidInputError, NotFoundError, UpstreamError
from privatefolio_daemon.domain.price_registry import (
    ask_in_order,
    build_registry,
    load_exchange_library,
    priced_asset,
)
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.prices.base import ChartData, PricedAsset
from privatefolio_daemon.sources.prices.registry import PriceProviderRegistry

MAX_LIMIT = 10_000


class LivePrices:
    def __init__(
        self, settings_of: Callable[[], PriceFetchSettings], catalog: AssetCatalog
    ) -> None:
        self._settings_of = settings_of
        self._catalog = catalog
        self._registry: tuple[PriceFetchSettings, PriceProviderRegistry] | None = None
        self._building = asyncio.Lock()

    async def fetch(
        self,
        asset_id: str,
        price_api_id: str | None = None,
        limit: int = 900,
        interval: CandleInterval = "1d",
        since: int | None = None,
        until: int | None = None,
    ) -> list[ChartData]:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        first_day, last_day = _window(limit, interval, since, until)
        asset = await self._priced(asset_id)
        registry = await self._providers()
        plan = registry.plan(asset, price_api_id)
        if plan.skipped:
            raise NotFoundError(f"No live prices for {asset_id}: {plan.skipped}")
        answer = await ask_in_order(plan.providers, asset, first_day, last_day)
        if isinstance(answer, list):
            reasons = "; ".join(answer)
            raise UpstreamError(f"Could not fetch prices of {asset.ticker}: {reasons}")
        return price_candles(answer.series.points, interval)[-limit:]

    async def close(self) -> None:
        if self._registry is not None:
            _, registry = self._registry
            self._registry = None
            await registry.close()

    async def _providers(self) -> PriceProviderRegistry:
        async with self._building:
            settings = self._settings_of()
            if self._registry is not None and self._registry[0] == settings:
                return self._registry[1]
            await self.close()
            await load_exchange_library(settings)
            registry = build_registry(settings)
            self._registry = (settings, registry)
            return registry

    async def _priced(self, asset_id: str) -> PricedAsset:
        await self._catalog.ensure_loaded()
        return priced_asset(asset_id, self._catalog.coingecko_id(asset_id))


def _window(
    limit: int, interval: CandleInterval, since: int | None, until: int | None
) -> tuple[int, int]:
    """The first and last day (ms) to ask the provider for."""
    span = (limit * BUCKET_DAYS[interval] - 1) * DAY_MS
    today = day_start(now_ms())
    if until is not None:
        last_day = day_start(until)
    elif since is not None:
        last_day = min(today, day_start(since) + span)
    else:
        last_day = today
    first_day = day_start(since) if since is not None else last_day - span
    if first_day > last_day:
        raise InvalidInputError("since must not be later than until")
    return first_day, last_day


def price_candles(points: list[ChartData], interval: CandleInterval) -> list[ChartData]:
    """Daily points (oldest first) grouped per ``interval``; ``value`` is a candle's close."""
    if interval == "1d":
        return points
    bucket_of = BUCKETS[interval]
    candles: list[ChartData] = []
    current: int | None = None
    for point in points:
        start = bucket_of(point["time"] * 1000)
        close = point.get("close", point["value"])
        if start != current:
            current = start
            candle: ChartData = {
                "time": start // 1000,
                "value": close,
                "open": point.get("open", point["value"]),
                "high": point.get("high", point["value"]),
                "low": point.get("low", point["value"]),
                "close": close,
            }
            if "volume" in point:
                candle["volume"] = point["volume"]
            candles.append(candle)
            continue
        candle = candles[-1]
        candle["high"] = max(candle["high"], point.get("high", point["value"]))
        candle["low"] = min(candle["low"], point.get("low", point["value"]))
        candle["close"] = candle["value"] = close
        if "volume" in point:
            candle["volume"] = candle.get("volume", 0.0) + point["volume"]
    return candles
