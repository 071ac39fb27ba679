"""Daily prices from an exchange's candles, through ccxt (``binance``, ``coinbase``, ``kraken``, …).

One candle per day: when the exchange sends two candles for the same day, the later one in its
answer is kept, as storing them would keep it (each day is one row).

ccxt is imported on first use: importing it costs about 2 s, which start-up must not pay.
"""

import asyncio
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceSeries,
    ProviderUnreachable,
)
from privatefolio_daemon.sources.prices.price_checks import (
    PriceCheck,
    SkipReport,
    is_price,
    log_skipped,
)

T = TypeVar("T")

DISPLAY_NAMES = {"binance": "Binance", "coinbase": "Coinbase", "kraken": "Kraken"}

# Options that make ``load_markets`` read spot markets only, with public calls only.
SPOT_ONLY_OPTIONS: dict[str, dict[str, Any]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    },
}

# Most daily candles one ``fetch_ohlcv`` call returns, per exchange.
CANDLES_PER_CALL = {"binance": 1000, "kraken": 720, "coinbase": 300}
DEFAULT_CANDLES_PER_CALL = 500
MAX_RETRY_AFTER_SECONDS = 30.0


def _cannot_connect(error: Exception) -> bool:
    """Whether ccxt failed before any reply: a name that does not resolve, a refused connection."""
    import socket

    import aiohttp

    return isinstance(error.__cause__, socket.gaierror | aiohttp.ClientConnectorError)


def spot_only_options(exchange_id: str) -> dict[str, Any]:
    """The ccxt options a client of ``exchange_id`` needs to load only spot markets."""
    return dict(SPOT_ONLY_OPTIONS.get(exchange_id, {}))


class CcxtOhlcvProvider:
    """A ``PriceProvider`` pricing ``TICKER`` with its ``TICKER/USDT`` (else ``/USD``) market."""

    def __init__(
        self,
        exchange_id: str,
        *,
        priority: int,
        configure: Callable[[Any], None] | None = None,
        quotes: tuple[str, ...] = ("USDT", "USD"),
        timeout_ms: int = 10_000,
        retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0),
        on_skipped: SkipReport = log_skipped,
    ) -> None:
        self.id = exchange_id
        self.name = DISPLAY_NAMES.get(exchange_id, exchange_id.capitalize())
        self.priority = priority
        self._configure = configure
        self._quotes = quotes
        self._timeout_ms = timeout_ms
        self._retry_delays = retry_delays
        self._page_size = CANDLES_PER_CALL.get(exchange_id, DEFAULT_CANDLES_PER_CALL)
        self._exchange: Any = None
        self._check = PriceCheck(self.name, on_skipped)

    def supports(self, asset: PricedAsset) -> bool:
        return asset.asset_type == "crypto"

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        exchange = self._client()
        await self._call(asset, exchange.load_markets)
        symbol = self._market_of(exchange, asset)
        if symbol is None and asset.ticker in self._quotes:  # USDT on Binance
            return _the_quote_itself(asset.ticker, since_ms, until_ms)
        if symbol is None:
            pairs = " or ".join(f"{asset.ticker}/{quote}" for quote in self._quotes)
            raise PriceFetchError(self.name, asset.id, f"no {pairs} market")
        by_time: dict[int, ChartData] = {}
        cursor = since_ms
        while cursor <= until_ms:
            page = partial(exchange.fetch_ohlcv, symbol, "1d", cursor, self._page_size)
            rows = await self._call(asset, page)
            self._check_json(exchange, asset)
            rows = self._rows(asset, rows)
            for row in rows:
                candle = self._candle(asset, row)
                if candle is not None and since_ms <= candle["time"] * 1000 <= until_ms:
                    by_time[candle["time"]] = candle
            cursor = _next_page(cursor, [int(row[0]) for row in rows], self._page_size)
        if not by_time:
            raise EmptyResponse(self.name, asset.id)
        points = [by_time[time] for time in sorted(by_time)]
        return PriceSeries(pair=exchange.markets[symbol]["id"], points=points)

    async def close(self) -> None:
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            await exchange.close()

    def _client(self) -> Any:
        if self._exchange is None:
            import ccxt.async_support as ccxt_async

            exchange = getattr(ccxt_async, self.id)(
                {"enableRateLimit": True, "timeout": self._timeout_ms}
            )
            exchange.enableLastJsonResponse = True
            exchange.options.update(spot_only_options(self.id))
            if self._configure is not None:
                self._configure(exchange)
            self._exchange = exchange
        return self._exchange

    def _market_of(self, exchange: Any, asset: PricedAsset) -> str | None:
        """The ``TICKER/QUOTE`` market to price the asset with, the first quote first."""
        return next(
            (
                f"{asset.ticker}/{quote}"
                for quote in self._quotes
                if f"{asset.ticker}/{quote}" in exchange.markets
            ),
            None,
        )

    def _check_json(self, exchange: Any, asset: PricedAsset) -> None:
        """ccxt hands back unparseable bodies as text; candles parsed from text are garbage."""
        if exchange.last_json_response is None:
            body = str(exchange.last_http_response or "")
            raise PriceFetchError(self.name, asset.id, f"malformed response: {body[:60]!r}")

    def _rows(self, asset: PricedAsset, rows: Any) -> list[Any]:
        if not isinstance(rows, list):
            raise PriceFetchError(self.name, asset.id, "malformed response: candles are not a list")
        return rows

    def _candle(self, asset: PricedAsset, row: Any) -> ChartData | None:
        """The day's candle; None when its close is no price (reported). An open, high or low
        that is no price is left out; so is a volume that is not a count."""
        if not (
            isinstance(row, list)
            and len(row) >= 6
            and all(isinstance(value, int | float) for value in row[:5])
        ):
            raise PriceFetchError(self.name, asset.id, f"malformed response: candle {row!r}")
        opened, open_, high, low, close = row[:5]
        day = day_start(int(opened))
        value = self._check.price(asset.id, day, close)
        if value is None:
            return None
        candle: ChartData = {"time": day // 1000, "value": value}
        if is_price(open_):
            candle["open"] = float(open_)
        if is_price(high):
            candle["high"] = float(high)
        if is_price(low):
            candle["low"] = float(low)
        candle["close"] = value
        volume = row[5]
        is_count = isinstance(volume, int | float) and math.isfinite(volume) and volume >= 0
        candle["volume"] = float(volume) if is_count else 0.0
        return candle

    async def _call(self, asset: PricedAsset, request: Callable[[], Awaitable[T]]) -> T:
        """Run one ccxt request; retry rate limits and 5xx with bounded backoff; name failures."""
        import ccxt.async_support as ccxt_async

        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            try:
                return await request()
            except ccxt_async.RequestTimeout as error:
                raise self._failure(asset, f"timed out after {self._timeout_ms} ms") from error
            except (ccxt_async.DDoSProtection, ccxt_async.ExchangeNotAvailable) as error:
                if _cannot_connect(error):
                    reason = f"cannot connect: {error.__cause__}"
                    raise ProviderUnreachable(self.name, asset.id, reason) from error
                if attempt == attempts - 1:
                    raise self._failure(asset, self._give_up_reason(error, attempts)) from error
                await asyncio.sleep(self._retry_delay(attempt))
            except ccxt_async.BadSymbol as error:
                raise self._failure(asset, f"unknown symbol: {error}") from error
            except ccxt_async.NetworkError as error:
                raise self._failure(asset, f"network error: {error}") from error
            except ccxt_async.BaseError as error:
                raise self._failure(asset, f"exchange error: {error}") from error
            except (TypeError, ValueError, KeyError, IndexError) as error:
                raise self._failure(asset, f"malformed response: {error!r}") from error
        raise AssertionError("unreachable")

    def _give_up_reason(self, error: Exception, attempts: int) -> str:
        import ccxt.async_support as ccxt_async

        if isinstance(error, ccxt_async.DDoSProtection):
            return f"rate limited after {attempts} attempts"
        return f"unavailable after {attempts} attempts: {error}"

    def _retry_delay(self, attempt: int) -> float:
        """The backoff for this attempt, or the server's ``Retry-After`` when it asks for longer."""
        headers = getattr(self._exchange, "last_response_headers", None) or {}
        retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after", "")
        delay = self._retry_delays[attempt]
        try:
            return max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        except (TypeError, ValueError):
            return delay

    def _failure(self, asset: PricedAsset, reason: str) -> PriceFetchError:
        return PriceFetchError(self.name, asset.id, reason)


def _next_page(cursor: int, opened: list[int], page_size: int) -> int:
    """Where the page after the one asked from ``cursor`` starts: after its last candle, and at
    least ``page_size`` days on. Binance answers the ``page_size`` candles from ``cursor`` on,
    but Coinbase the ``page_size`` days from it (ccxt's window): an empty or short page there
    says nothing about later days (a coin listed later, a gap), so paging goes on to the end of
    the range, one request per ``page_size`` days at most. ``opened``: the candles' open times."""
    last = day_start(max(opened, default=cursor - DAY_MS))
    return max(cursor + page_size * DAY_MS, last + DAY_MS)


def _the_quote_itself(ticker: str, since_ms: int, until_ms: int) -> PriceSeries:
    """A quote currency the exchange has no market for, priced in itself: 1 on every day. Its
    markets price other coins in it and none prices it (Binance has no USDT/USD), and this
    provider's prices in it stand for USD prices, so it is worth 1 here as they assume. Where a
    market prices it (Coinbase's USDT/USD), that market's prices are taken, depegs included."""
    first = day_start(since_ms)
    last = min(until_ms, day_start(now_ms()))  # no day after today, as an exchange has none
    days = range(first if first >= since_ms else first + DAY_MS, last + 1, DAY_MS)
    return PriceSeries(pair=ticker, points=[ChartData(time=day // 1000, value=1.0) for day in days])
