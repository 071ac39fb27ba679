"""Yahoo Finance daily candles from the keyless chart API, for stocks and ETFs.

``GET {base}/v8/finance/chart/{symbol}?period1=<s>&period2=<s>&interval=1d`` answers
``{"chart": {"result": [{"meta": {"currency": "USD", "gmtoffset": …}, "timestamp": [s…],
"indicators": {"quote": [{"open": […], "high": […], "low": […], "close": […], "volume": […]}]}}],
"error": null}}``.
A range without trading days has no ``timestamp`` and an empty quote. An unknown symbol is an HTTP
404 with ``{"chart": {"result": null, "error": {"code": "Not Found", "description": …}}}``.

Timestamps are the start of each bar in UTC: a stock's session open (14:30 UTC for New York in
winter), but 00:00 London time for FX pairs (23:00 UTC the day before in summer) and 00:00 Berlin
time for ``^GDAXI`` (22:00 UTC the day before in summer). A bar's date is its date in the
exchange's time zone, ``meta.exchangeTimezoneName`` (``Europe/London``), at that moment;
``meta.gmtoffset`` is the zone's offset when the request was made, so it gives the wrong date to
the bars of the other daylight-saving period, and is used only for a zone that is missing or
unknown here. Each window is asked for with a day more on each side, so that a bar stamped on the
UTC day before (or after) its own date is there. Days whose close is null (halts) are left out,
and so are those whose close is no price (``price_checks``: ``1e308``, 0), which are reported.

Prices are in ``meta.currency``: ``USD`` on US exchanges, but ``GBp`` (pence) for ``VOD.L``, ``JPY``
for ``7203.T``. ``YahooProvider`` stores them in USD, converting each day with that day's rate
(``usd_conversion``: minor units, the nearest earlier rate, and the failure when there is none).
A chart without ``meta.currency`` is taken to be in USD.

``YahooProvider`` (and the metals and fiat providers) fill the days the market is closed, and
today before it opens, with the last close before them (``market_closes``): Saturday and Sunday
carry Friday's USD close. Nothing is carried past today.

``YahooChartClient`` is the shared part: the metals and fiat providers price their symbols
(``GC=F``, ``EURUSD=X``) through it too.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceSeries,
)
from privatefolio_daemon.sources.prices.http_fetch import JsonFetcher
from privatefolio_daemon.sources.prices.market_closes import closes_from, with_last_close
from privatefolio_daemon.sources.prices.price_checks import (
    PriceCheck,
    SkipReport,
    is_price,
    log_skipped,
)
from privatefolio_daemon.sources.prices.price_settings import YAHOO_URL
from privatefolio_daemon.sources.prices.series_worker import SeriesWorker
from privatefolio_daemon.sources.prices.usd_conversion import USD, UsdConverter

YAHOO_NAME = "Yahoo Finance"


def yahoo_error_detail(body: Any) -> str | None:
    """``"<code>: <description>"`` from Yahoo's ``chart.error`` or ``finance.error``."""
    for section in ("chart", "finance"):
        error = body.get(section, {}).get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and error.get("code"):
            return f"{error['code']}: {error.get('description', '')}".rstrip(": ")
    return None


@dataclass(frozen=True, slots=True)
class YahooChart:
    """Daily candles of one symbol, with the currency their prices are in (``meta.currency``)."""

    currency: str
    points: list[ChartData]


class YahooChartClient:
    """Daily candles of one Yahoo symbol, fetched in windows of at most ``window_days`` days."""

    def __init__(
        self,
        fetcher: JsonFetcher,
        *,
        base_url: str = YAHOO_URL,
        window_days: int = 3650,
        on_skipped: SkipReport = log_skipped,
        worker: SeriesWorker | None = None,
    ):
        self.fetcher = fetcher
        self.worker = worker or SeriesWorker()
        self.base_url = base_url.rstrip("/")
        self.window_days = window_days
        self._check = PriceCheck(fetcher.provider_name, on_skipped)

    async def daily(
        self, symbol: str, asset_id: str, since_ms: int, until_ms: int
    ) -> list[ChartData]:
        """Candles with ``since_ms <= time*1000 <= until_ms``, oldest first; empty when none.

        In the symbol's own currency: for symbols quoted in USD (``GC=F``, ``EURUSD=X``).
        """
        return (await self.chart(symbol, asset_id, since_ms, until_ms)).points

    async def chart(self, symbol: str, asset_id: str, since_ms: int, until_ms: int) -> YahooChart:
        """``daily``'s candles with the currency of their prices."""
        by_time: dict[int, ChartData] = {}
        currency: str | None = None
        last_day = day_start(until_ms)
        window_start = day_start(since_ms)
        while window_start <= last_day:
            window_end = min(window_start + (self.window_days - 1) * DAY_MS, last_day)
            window = await self._window(symbol, asset_id, window_start, window_end)
            if currency is not None and window.currency != currency:
                what = f"meta.currency is {window.currency!r} after {currency!r}"
                raise self.fetcher.malformed(asset_id, what)
            currency = window.currency
            for point in window.points:
                if since_ms <= point["time"] * 1000 <= until_ms:
                    by_time[point["time"]] = point
            window_start = window_end + DAY_MS
        return YahooChart(currency or USD, [by_time[time] for time in sorted(by_time)])

    async def close(self) -> None:
        await self.fetcher.close()

    async def _window(
        self, symbol: str, asset_id: str, first_day: int, last_day: int
    ) -> YahooChart:
        params = {
            "period1": str((first_day - DAY_MS) // 1000),
            "period2": str((last_day + 2 * DAY_MS) // 1000 - 1),
            "interval": "1d",
        }
        url = f"{self.base_url}/v8/finance/chart/{quote(symbol, safe='')}"
        body = await self.fetcher.get_json(url, asset_id=asset_id, params=params)
        reader = _ChartReader(self.fetcher, asset_id, self._check, (first_day, last_day))
        return await self.worker.run(reader.candles, body)


class _ChartReader:
    """Turns one chart answer into the candles of the ``days`` (the first and the last, ms) it
    was asked for, or raises a ``malformed response`` error."""

    def __init__(
        self, fetcher: JsonFetcher, asset_id: str, check: PriceCheck, days: tuple[int, int]
    ) -> None:
        self._fetcher = fetcher
        self._asset_id = asset_id
        self._check = check
        self._days = days

    def candles(self, body: Any) -> YahooChart:
        chart = body.get("chart") if isinstance(body, dict) else None
        if not isinstance(chart, dict):
            raise self._malformed("no chart object")
        detail = yahoo_error_detail(body)
        if detail:
            raise PriceFetchError(self._fetcher.provider_name, self._asset_id, detail)
        results = chart.get("result")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise self._malformed("chart.result is empty")
        return self._read_result(results[0])

    def _read_result(self, result: dict[str, Any]) -> YahooChart:
        timestamps = result.get("timestamp") or []
        meta = result.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        offset = meta.get("gmtoffset")
        currency = meta.get("currency") or USD
        if not isinstance(currency, str):
            raise self._malformed(f"meta.currency is {currency!r}")
        indicators = result.get("indicators")
        quotes = indicators.get("quote") if isinstance(indicators, dict) else None
        if not isinstance(timestamps, list) or not _is_number(offset or 0):
            raise self._malformed("chart.result[0].timestamp or meta.gmtoffset is not numeric")
        if not isinstance(quotes, list) or not quotes or not isinstance(quotes[0], dict):
            raise self._malformed("chart.result[0].indicators.quote is missing")
        if not timestamps:
            return YahooChart(currency, [])
        series = {name: self._column(quotes[0], name, len(timestamps)) for name in _COLUMNS}
        local = _local_time(meta.get("exchangeTimezoneName"), int(offset or 0))
        points: list[ChartData] = []
        for index, timestamp in enumerate(timestamps):
            if not _is_number(timestamp):
                raise self._malformed(f"timestamp[{index}] is {timestamp!r}")
            try:
                time = local(int(timestamp))
            except (ValueError, OverflowError, OSError):  # no date: no day asked for
                continue
            point = self._point(time, series, index)
            if point is not None:
                points.append(point)
        return YahooChart(currency, points)

    def _column(self, quote: dict[str, Any], name: str, length: int) -> list[float | None]:
        values = quote.get(name)
        if values is None and name != "close":
            return [None] * length
        if not isinstance(values, list) or len(values) != length:
            size = len(values) if isinstance(values, list) else "no"
            raise self._malformed(f"quote.{name} has {size} values for {length} timestamps")
        for index, value in enumerate(values):
            if value is not None and not _is_number(value):
                raise self._malformed(f"quote.{name}[{index}] is {value!r}")
        return [None if value is None else float(value) for value in values]

    def _point(
        self, local_seconds: int, series: dict[str, list[float | None]], index: int
    ) -> ChartData | None:
        """The bar's candle; None outside the days asked for, without a close, or with a close
        that is no price (reported). An open, high or low that is no price is left out, and so
        is a volume that is not a count."""
        day = day_start(local_seconds * 1000)
        first, last = self._days
        close = series["close"][index]
        if not first <= day <= last or close is None:
            return None
        value = self._check.price(self._asset_id, day, close)
        if value is None:
            return None
        point: ChartData = {"time": day // 1000, "value": value}
        if is_price(open_ := series["open"][index]):
            point["open"] = open_
        if is_price(high := series["high"][index]):
            point["high"] = high
        if is_price(low := series["low"][index]):
            point["low"] = low
        point["close"] = value
        if (volume := series["volume"][index]) is not None and 0 <= volume < math.inf:
            point["volume"] = volume
        return point

    def _malformed(self, what: str) -> PriceFetchError:
        return self._fetcher.malformed(self._asset_id, what)


_COLUMNS = ("open", "high", "low", "close", "volume")


def _local_time(zone_name: object, gmtoffset: int) -> Callable[[int], int]:
    """Turns a bar's UTC timestamp (s) into the exchange's wall-clock time then, as seconds whose
    UTC day is the bar's date: in the zone named, else shifted by ``gmtoffset``."""
    zone = _zone(zone_name) if isinstance(zone_name, str) else None
    if zone is None:
        return lambda timestamp: timestamp + gmtoffset

    def local(timestamp: int) -> int:
        offset = datetime.fromtimestamp(timestamp, zone).utcoffset()
        return timestamp + (0 if offset is None else int(offset.total_seconds()))

    return local


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    """The time zone of that name; None when it is unknown here (or no tz database is found)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class YahooProvider:
    """Stocks and ETFs by their Yahoo ticker (``asset.ticker``, e.g. ``AAPL``, ``VOD.L``), in USD:
    ``usd`` converts the prices of a ticker quoted in another currency."""

    id = "yahoo"
    name = YAHOO_NAME

    def __init__(self, client: YahooChartClient, *, usd: UsdConverter, priority: int = 5) -> None:
        self.client = client
        self.usd = usd
        self.priority = priority

    def supports(self, asset: PricedAsset) -> bool:
        return asset.asset_type in ("stock", "fund") or asset.platform == "gov.us-sec"

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        currencies: list[str] = []

        async def fetch(start_ms: int, end_ms: int) -> list[ChartData]:
            chart = await self.client.chart(asset.ticker, asset.id, start_ms, end_ms)
            currencies.append(chart.currency)
            return chart.points

        points = await with_last_close(fetch, since_ms, until_ms)
        if not points:
            raise EmptyResponse(self.name, asset.id)
        points = await self.usd.to_usd(self.name, asset.id, currencies[0], points)
        points = await self.client.worker.run(closes_from, points, since_ms, until_ms)
        return PriceSeries(pair=asset.ticker, points=points)

    async def close(self) -> None:
        await self.client.close()
