"""A fake Binance spot REST API that the real ccxt ``binance`` client can talk to.

Public: ``/api/v3/exchangeInfo``, ``/api/v3/klines``, ``/api/v3/time``, ``/api/v3/ping``.
Signed (HMAC-SHA256 of the query string, ``X-MBX-APIKEY``, ``timestamp``/``recvWindow``):
``/api/v3/account``, ``/api/v3/myTrades``, ``/sapi/v1/capital/deposit/hisrec``,
``/sapi/v1/capital/withdraw/history``, ``/sapi/v1/account/apiRestrictions``,
``/sapi/v1/convert/tradeFlow``, ``/sapi/v1/asset/dribblet``.
Errors use Binance's codes and messages; limits and windows follow the public documentation.
"""

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from privatefolio_daemon.sources.prices.ccxt_ohlcv import spot_only_options
from tests.standins.exchanges.binance_records import (
    DAY_MS,
    BinanceAccount,
    Candle,
    now_ms,
)
from tests.standins.exchanges.control import ExchangeControl, json_body, point_ccxt_at

INTERVALS_MS = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": DAY_MS,
    "1w": 7 * DAY_MS,
}
HISTORY_WINDOW_MS = 90 * DAY_MS
CONVERT_WINDOW_MS = 30 * DAY_MS
DUST_WINDOW_MS = 90 * DAY_MS
DUST_LOG_START_MS = 1_606_780_800_000  # 2020-12-01
DUST_LOG_ROWS = 100
API_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")
RATE_LIMIT_MSG = (
    "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)

BinanceHandler = Callable[[web.Request], Awaitable[web.Response]]
SignedHandler = Callable[[web.Request, BinanceAccount], Awaitable[web.Response]]


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg


def _mandatory(name: str) -> BinanceError:
    return BinanceError(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def configure_binance_for_standin(exchange: Any, base_url: str) -> None:
    """Point a ccxt ``binance`` client at the stand-in and load only spot markets.

    ``fetchMarkets.types = ['spot']`` skips the futures/delivery ``exchangeInfo`` calls and
    ``fetchCurrencies = False`` skips the signed ``capital/config/getall`` call in
    ``load_markets`` (currencies are then derived from the markets), and ``fetchMargins = False``
    skips the signed ``margin/allPairs`` and ``margin/isolated/allPairs`` calls.
    """
    exchange.options.update(spot_only_options("binance"))
    point_ccxt_at(exchange, base_url)


def _rate_limit_body() -> tuple[int, dict[str, Any]]:
    return 429, {"code": -1003, "msg": RATE_LIMIT_MSG}


class BinanceStandin:
    """One fake Binance: register markets, candles and accounts, then serve ``app()``."""

    def __init__(self) -> None:
        self.control = ExchangeControl(throttle_body=_rate_limit_body)
        self.markets: dict[str, tuple[str, str]] = {}
        self.daily_candles: dict[str, list[Candle]] = {}
        self.accounts: dict[str, BinanceAccount] = {}
        self.clock_offset_ms = 0

    def add_market(self, base: str, quote: str) -> str:
        symbol = base + quote
        self.markets[symbol] = (base, quote)
        return symbol

    def set_daily_candles(self, symbol: str, candles: list[Candle]) -> None:
        self.daily_candles[symbol] = sorted(candles, key=lambda c: c.open_time)

    def add_account(self, api_key: str, secret: str) -> BinanceAccount:
        account = BinanceAccount(api_key=api_key, secret=secret)
        self.accounts[api_key] = account
        return account

    def now_ms(self) -> int:
        return now_ms() + self.clock_offset_ms

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.control.middleware(), _binance_errors])
        app.router.add_get("/api/v3/ping", self._ping)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/api/v3/exchangeInfo", self._exchange_info)
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_get("/api/v3/account", self._signed(self._account))
        app.router.add_get("/api/v3/myTrades", self._signed(self._my_trades))
        app.router.add_get("/sapi/v1/capital/deposit/hisrec", self._signed(self._deposits))
        app.router.add_get("/sapi/v1/capital/withdraw/history", self._signed(self._withdrawals))
        app.router.add_get("/sapi/v1/account/apiRestrictions", self._signed(self._restrictions))
        app.router.add_get("/sapi/v1/convert/tradeFlow", self._signed(self._convert_flow))
        app.router.add_get("/sapi/v1/asset/dribblet", self._signed(self._dribblets))
        return app

    # --- authentication -------------------------------------------------------------------

    def _signed(self, handler: SignedHandler) -> BinanceHandler:
        async def checked(request: web.Request) -> web.Response:
            return await handler(request, self._authenticate(request))

        return checked

    def _authenticate(self, request: web.Request) -> BinanceAccount:
        key = request.headers.get("X-MBX-APIKEY", "")
        if not API_KEY_FORMAT.fullmatch(key):
            raise BinanceError(401, -2014, "API-key format invalid.")
        account = self.accounts.get(key)
        if account is None:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        query = request.query
        if not query.get("timestamp"):
            raise _mandatory("timestamp")
        if not query.get("signature"):
            raise _mandatory("signature")
        payload = re.sub(r"&?signature=[^&]*", "", request.rel_url.raw_query_string)
        expected = hmac.new(account.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, query["signature"].lower()):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")
        self._check_timestamp(int(query["timestamp"]), int(query.get("recvWindow", "5000")))
        if not account.restrictions.get("enableReading", False):
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        refusal = account.refusals.get(request.path)
        if refusal is not None:
            raise BinanceError(*refusal)
        return account

    def _check_timestamp(self, timestamp: int, recv_window: int) -> None:
        if recv_window > 60_000:
            raise BinanceError(400, -1131, "recvWindow must be less than 60000")
        server_time = self.now_ms()
        if timestamp >= server_time + 1000:
            raise BinanceError(
                400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if server_time - timestamp > recv_window:
            raise BinanceError(
                400, -1021, "Timestamp for this request is outside of the recvWindow."
            )

    # --- public endpoints -----------------------------------------------------------------

    async def _ping(self, request: web.Request) -> web.Response:
        return json_body({})

    async def _time(self, request: web.Request) -> web.Response:
        return json_body({"serverTime": self.now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        symbols = [_symbol_info(s, base, quote) for s, (base, quote) in self.markets.items()]
        return json_body(
            {
                "timezone": "UTC",
                "serverTime": self.now_ms(),
                "rateLimits": [
                    {
                        "rateLimitType": "REQUEST_WEIGHT",
                        "interval": "MINUTE",
                        "intervalNum": 1,
                        "limit": 6000,
                    }
                ],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    async def _klines(self, request: web.Request) -> web.Response:
        query = request.query
        symbol = self._known_symbol(query.get("symbol"))
        interval = query.get("interval")
        if not interval:
            raise _mandatory("interval")
        if interval not in INTERVALS_MS:
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = _limit(query.get("limit"), default=500, maximum=1000)
        candles = self.daily_candles.get(symbol, []) if interval == "1d" else []
        start = _optional_int(query.get("startTime"))
        end = _optional_int(query.get("endTime"))
        chosen = [
            c
            for c in candles
            if (start is None or c.open_time >= start) and (end is None or c.open_time <= end)
        ]
        chosen = chosen[:limit] if start is not None else chosen[-limit:]
        return json_body([c.to_kline(INTERVALS_MS[interval]) for c in chosen])

    def _known_symbol(self, symbol: str | None) -> str:
        if not symbol:
            raise _mandatory("symbol")
        if symbol not in self.markets:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return symbol

    # --- signed endpoints -----------------------------------------------------------------

    async def _account(self, request: web.Request, account: BinanceAccount) -> web.Response:
        omit_zero = request.query.get("omitZeroBalances") == "true"
        balances = [
            {"asset": asset, "free": free, "locked": locked}
            for asset, (free, locked) in account.balances.items()
            if not (omit_zero and float(free) == 0 and float(locked) == 0)
        ]
        return json_body(
            {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": self.now_ms(),
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
                "uid": 354937868,
            }
        )

    async def _my_trades(self, request: web.Request, account: BinanceAccount) -> web.Response:
        query = request.query
        symbol = self._known_symbol(query.get("symbol"))
        limit = _limit(query.get("limit"), default=500, maximum=1000)
        from_id = _optional_int(query.get("fromId"))
        start = _optional_int(query.get("startTime"))
        end = _optional_int(query.get("endTime"))
        if from_id is not None and (start is not None or end is not None):
            raise BinanceError(400, -1128, "Combination of optional parameters invalid.")
        if start is not None and end is not None and end - start > DAY_MS:
            raise BinanceError(400, -1127, "More than 24 hours between startTime and endTime.")
        trades = sorted((t for t in account.trades if t.symbol == symbol), key=lambda t: t.id)
        if from_id is not None:
            trades = [t for t in trades if t.id >= from_id][:limit]
        elif start is not None or end is not None:
            low = start if start is not None else end - DAY_MS  # type: ignore[operator]
            high = end if end is not None else low + DAY_MS
            trades = [t for t in trades if low <= t.time <= high][:limit]
        else:
            trades = trades[-limit:]
        return json_body([t.to_json() for t in trades])

    async def _deposits(self, request: web.Request, account: BinanceAccount) -> web.Response:
        records = [(d.insert_time, d.coin, d.status, d.to_json()) for d in account.deposits]
        return json_body(self._history_page(request, records))

    async def _withdrawals(self, request: web.Request, account: BinanceAccount) -> web.Response:
        records = [(w.apply_time, w.coin, w.status, w.to_json()) for w in account.withdrawals]
        return json_body(self._history_page(request, records))

    def _history_page(
        self, request: web.Request, records: list[tuple[int, str, int, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Deposit/withdrawal history: a ≤ 90-day window, newest first, ``offset``/``limit``."""
        query = request.query
        start = _optional_int(query.get("startTime"))
        end = _optional_int(query.get("endTime"))
        if start is None and end is None:
            end = self.now_ms()
        if start is None:
            start = end - HISTORY_WINDOW_MS  # type: ignore[operator]
        if end is None:
            end = start + HISTORY_WINDOW_MS
        if end - start > HISTORY_WINDOW_MS:
            raise BinanceError(400, -1127, "More than 90 days between startTime and endTime.")
        coin = query.get("coin")
        status = _optional_int(query.get("status"))
        chosen = [
            (at, record)
            for at, record_coin, record_status, record in records
            if start <= at <= end
            and (coin is None or record_coin == coin)
            and (status is None or record_status == status)
        ]
        chosen.sort(key=lambda pair: pair[0], reverse=True)
        offset = _optional_int(query.get("offset")) or 0
        limit = _limit(query.get("limit"), default=1000, maximum=1000)
        return [record for _, record in chosen[offset : offset + limit]]

    async def _convert_flow(self, request: web.Request, account: BinanceAccount) -> web.Response:
        """Convert history: ``startTime`` and ``endTime`` required, ≤ 30 days apart, oldest
        first up to ``limit`` (≤ 1000), ``moreData`` when the window held more."""
        query = request.query
        start = _optional_int(query.get("startTime"))
        end = _optional_int(query.get("endTime"))
        if start is None:
            raise _mandatory("startTime")
        if end is None:
            raise _mandatory("endTime")
        if end - start > CONVERT_WINDOW_MS:
            raise BinanceError(400, -1127, "More than 30 days between startTime and endTime.")
        limit = _limit(query.get("limit"), default=100, maximum=1000)
        chosen = sorted(
            (c for c in account.converts if start <= c.create_time <= end),
            key=lambda c: c.create_time,
        )
        return json_body(
            {
                "list": [c.to_json() for c in chosen[:limit]],
                "startTime": start,
                "endTime": end,
                "limit": limit,
                "moreData": len(chosen) > limit,
            }
        )

    async def _dribblets(self, request: web.Request, account: BinanceAccount) -> web.Response:
        """Dust log: an optional window of ≤ 90 days, only conversions after 2020-12-01, the
        last 100 of them, newest first."""
        query = request.query
        start = _optional_int(query.get("startTime"))
        end = _optional_int(query.get("endTime"))
        if start is not None and end is not None and end - start > DUST_WINDOW_MS:
            raise BinanceError(400, -1127, "More than 90 days between startTime and endTime.")
        chosen = sorted(
            (
                d
                for d in account.dribblets
                if d.operate_time >= DUST_LOG_START_MS
                and (start is None or d.operate_time >= start)
                and (end is None or d.operate_time <= end)
            ),
            key=lambda d: d.operate_time,
            reverse=True,
        )[:DUST_LOG_ROWS]
        return json_body(
            {"total": len(chosen), "userAssetDribblets": [d.to_json() for d in chosen]}
        )

    async def _restrictions(self, request: web.Request, account: BinanceAccount) -> web.Response:
        return json_body(account.restrictions)


@web.middleware
async def _binance_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except BinanceError as error:
        return json_body({"code": error.code, "msg": error.msg}, status=error.status)
    except ValueError:
        return json_body(
            {"code": -1100, "msg": "Illegal characters found in a parameter."}, status=400
        )


def _optional_int(text: str | None) -> int | None:
    return None if text is None or text == "" else int(text)


def _limit(text: str | None, *, default: int, maximum: int) -> int:
    value = _optional_int(text)
    return default if value is None else max(1, min(value, maximum))


def _symbol_info(symbol: str, base: str, quote: str) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01000000",
                "maxPrice": "1000000.00000000",
                "tickSize": "0.01000000",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00001000",
                "maxQty": "9000.00000000",
                "stepSize": "0.00001000",
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
