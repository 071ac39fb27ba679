"""Stand-ins for the HTTP price APIs, answering in each API's real format from registered series.

- ``YahooChartStandin``: ``GET /v8/finance/chart/{symbol}?period1=&period2=&interval=1d``.
- ``DefiLlamaChartStandin``: ``GET /chart/{coins}?start=&span=&period=1d``.
- ``TefasHistoryStandin``: ``POST /api/DB/BindHistoryInfo`` (form ``fontip``, ``fonkod``,
  ``bastarih``, ``bittarih``).

Each records every request and has switches: answer 429 with ``Retry-After`` (or any status) for
the next K requests, be slow, hold every answer until released, or send a malformed body. Serve
one with ``serve_in_thread(standin.app())``.
"""

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

DAY_S = 86_400
DAY_MS = 86_400_000
LONDON = "Europe/London"
"""The ``exchangeTimezoneName`` of Yahoo's FX pairs (``EURUSD=X``): a day's bar starts at 00:00
London time, 23:00 UTC the day before in summer."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]


@dataclass(frozen=True)
class _CannedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class PriceApiStandin:
    """The switches and the request log shared by the three stand-ins."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.delay_s = 0.0
        self.malformed_body: bytes | None = None
        self._canned: list[_CannedAnswer] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self.holding = threading.Event()
        """Set once a request is held."""

    def hold(self) -> None:
        """Keep every answer (the request recorded) until ``release``."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def throttle_next(self, count: int, retry_after: str | None = "0") -> None:
        """Answer the next ``count`` requests with 429 Too Many Requests."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self.answer_next(count, 429, headers, b"Too Many Requests")

    def answer_next(
        self, count: int, status: int, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> None:
        with self._lock:
            self._canned.extend([_CannedAnswer(status, headers or {}, body)] * count)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._switches])
        self.add_routes(app)
        return app

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @web.middleware
    async def _switches(self, request: web.Request, handler: Any) -> web.StreamResponse:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.query), form)
        )
        if not self._released.is_set():
            self.holding.set()
            await asyncio.to_thread(self._released.wait)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self._lock:
            canned = self._canned.pop(0) if self._canned else None
        if canned is not None:
            return web.Response(status=canned.status, headers=canned.headers, body=canned.body)
        if self.malformed_body is not None:
            return web.Response(body=self.malformed_body, content_type="application/json")
        response: web.StreamResponse = await handler(request)
        return response


# --- Yahoo Finance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class YahooCandle:
    """One row of Yahoo's arrays; ``None`` is what Yahoo sends for a missing value."""

    timestamp: int
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: int | None


@dataclass
class _YahooSeries:
    candles: list[YahooCandle]
    gmtoffset: int
    currency: str
    timezone: str


class YahooChartStandin(PriceApiStandin):
    def __init__(self) -> None:
        super().__init__()
        self.series: dict[str, _YahooSeries] = {}

    def add_candles(
        self,
        symbol: str,
        candles: list[YahooCandle],
        *,
        gmtoffset: int = -18000,
        currency: str = "USD",
        timezone: str = "America/New_York",
    ) -> None:
        self.series[symbol] = _YahooSeries(candles, gmtoffset, currency, timezone)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v8/finance/chart/{symbol}", self._chart)

    async def _chart(self, request: web.Request) -> web.Response:
        symbol = request.match_info["symbol"]
        series = self.series.get(symbol)
        if series is None:
            return _yahoo_error(404, "Not Found", "No data found, symbol may be delisted")
        interval = request.query.get("interval", "1d")
        if interval != "1d":
            description = f"Invalid input - interval={interval} is not supported."
            return _yahoo_error(400, "Bad Request", description)
        first = int(request.query["period1"])
        last = int(request.query["period2"])
        candles = [c for c in series.candles if first <= c.timestamp <= last]
        return web.json_response({"chart": {"result": [_yahoo_result(symbol, series, candles)]}})


def _yahoo_error(status: int, code: str, description: str) -> web.Response:
    body = {"chart": {"result": None, "error": {"code": code, "description": description}}}
    return web.json_response(body, status=status)


def _yahoo_result(symbol: str, series: _YahooSeries, candles: list[YahooCandle]) -> dict[str, Any]:
    meta = {
        "currency": series.currency,
        "symbol": symbol,
        "exchangeName": "NMS",
        "instrumentType": "EQUITY",
        "gmtoffset": series.gmtoffset,
        "timezone": "EST",
        "exchangeTimezoneName": series.timezone,
        "dataGranularity": "1d",
        "range": "",
    }
    if not candles:
        return {"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}
    closes = [c.close for c in candles]
    quote = {
        "open": [c.open for c in candles],
        "high": [c.high for c in candles],
        "low": [c.low for c in candles],
        "close": closes,
        "volume": [c.volume for c in candles],
    }
    return {
        "meta": meta,
        "timestamp": [c.timestamp for c in candles],
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
    }


# --- DefiLlama -----------------------------------------------------------------------------------


@dataclass
class _LlamaCoin:
    symbol: str
    decimals: int
    prices: list[tuple[int, float]] = field(default_factory=list)


class DefiLlamaChartStandin(PriceApiStandin):
    """Answers each requested day with the registered price nearest to it within half a day."""

    def __init__(self) -> None:
        super().__init__()
        self.coins: dict[str, _LlamaCoin] = {}

    def add_prices(
        self, coin: str, prices: list[tuple[int, float]], *, symbol: str = "TKN", decimals: int = 18
    ) -> None:
        """``coin`` as DefiLlama keys it (``ethereum:0x…``); ``prices`` as (unix seconds, USD)."""
        self.coins[coin.lower()] = _LlamaCoin(symbol, decimals, sorted(prices))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/chart/{coins}", self._chart)

    async def _chart(self, request: web.Request) -> web.Response:
        start = int(request.query["start"])
        span = int(request.query.get("span", "0"))
        answer: dict[str, Any] = {}
        for coin in request.match_info["coins"].split(","):
            known = self.coins.get(coin.lower())
            if known is None:
                continue
            answer[coin] = {
                "symbol": known.symbol,
                "confidence": 0.99,
                "decimals": known.decimals,
                "prices": _llama_points(known.prices, start, span),
            }
        return web.json_response({"coins": answer})


def _llama_points(prices: list[tuple[int, float]], start: int, span: int) -> list[dict[str, Any]]:
    points = []
    for index in range(span):
        target = start + index * DAY_S
        near = [
            (abs(ts - target), ts, price) for ts, price in prices if abs(ts - target) <= DAY_S // 2
        ]
        if near:
            _, timestamp, price = min(near)
            points.append({"timestamp": timestamp, "price": price})
    return points


# --- TEFAS ---------------------------------------------------------------------------------------


@dataclass
class _TefasFund:
    fund_type: str
    title: str
    prices: dict[int, float | str]


class TefasHistoryStandin(PriceApiStandin):
    """``tarih_offset_ms`` shifts every ``TARIH`` (e.g. -3 h for Istanbul midnight)."""

    def __init__(self, *, tarih_offset_ms: int = 0) -> None:
        super().__init__()
        self.funds: dict[str, _TefasFund] = {}
        self.tarih_offset_ms = tarih_offset_ms

    def add_prices(
        self,
        code: str,
        prices: dict[int, float] | dict[int, float | str],
        *,
        fund_type: str = "YAT",
        title: str = "",
    ) -> None:
        """``prices`` maps a UTC day start (ms) to the fund's TRY price (a text such as
        ``"NaN"`` is sent as it is, as TEFAS sends one now and then)."""
        self.funds[code] = _TefasFund(fund_type, title or f"{code} FUND", dict(prices))

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/api/DB/BindHistoryInfo", self._history)

    async def _history(self, request: web.Request) -> web.Response:
        form = await request.post()
        code = str(form.get("fonkod", "")).upper()
        first = _tefas_day(str(form["bastarih"]))
        last = _tefas_day(str(form["bittarih"]))
        fund = self.funds.get(code)
        rows = []
        if fund is not None and fund.fund_type == form.get("fontip"):
            days = sorted((d for d in fund.prices if first <= d <= last), reverse=True)
            rows = [self._row(code, fund, day) for day in days]
        body = {"draw": 0, "recordsTotal": len(rows), "recordsFiltered": len(rows), "data": rows}
        return web.json_response(body)

    def _row(self, code: str, fund: _TefasFund, day: int) -> dict[str, Any]:
        price = fund.prices[day]
        return {
            "TARIH": str(day + self.tarih_offset_ms),
            "FONKODU": code,
            "FONUNVAN": fund.title,
            "FIYAT": price,
            "TEDPAYSAYISI": 1_000_000.0,
            "KISISAYISI": 1200.0,
            "PORTFOYBUYUKLUK": price if isinstance(price, str) else 1_000_000.0 * price,
            "BORSABULTENFIYAT": "-",
        }


def _tefas_day(text: str) -> int:
    moment = datetime.strptime(text, "%d.%m.%Y").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000
