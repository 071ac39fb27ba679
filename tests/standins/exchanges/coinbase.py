"""A fake Coinbase API (Advanced Trade v3 and the v2 endpoints ccxt uses) for the real ccxt client.

Public (GET): ``/v2/currencies``, ``/v2/currencies/crypto``, ``/v2/exchange-rates``,
``/api/v3/brokerage/market/products`` (an empty list for ``product_type=FUTURE``) and
``/api/v3/brokerage/market/products/<product id>/candles`` (``start``, ``end`` in seconds and
``granularity=ONE_DAY``: the day candles from ``start`` to ``end``, newest first; a span of more
than 350 candles is refused with 400, as Coinbase does).
Private (GET, ``Authorization: Bearer <JWT>``): ``/api/v3/brokerage/transaction_summary``,
``/api/v3/brokerage/accounts`` (``limit``/``cursor``), ``/api/v3/brokerage/orders/historical/fills``
(newest first, ``limit``/``cursor``, ``start_sequence_timestamp``/``end_sequence_timestamp``) and
``/v2/accounts/<account id>/transactions`` (newest first, ``limit``/``starting_after``).

Authentication is checked as Coinbase checks CDP keys: an ES256 JWT whose ``kid`` and ``sub``
name a known key, signed by that key, inside its ``nbf``…``exp`` window (at most 120 s long), whose
``uri`` claim is the method and the request URL without query. ccxt drops only ``https://`` from
the URL, so on this plain-HTTP stand-in the claim keeps ``http://``. A rejected request gets 401:
``Unauthorized`` as text from v3, ``{"errors": [{"id": "authentication_error", …}]}`` from v2.
"""

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from tests.standins.exchanges.binance_records import Candle
from tests.standins.exchanges.coinbase_records import (
    CdpKey,
    CoinbaseFill,
    CoinbaseTransaction,
    CoinbaseWallet,
    parse_rfc3339,
    stable_uuid,
)
from tests.standins.exchanges.control import ExchangeControl, json_body, point_ccxt_at

MAX_TOKEN_SECONDS = 120
ACCOUNTS_PAGE = (49, 250)  # default and largest ``limit``
FILLS_PAGE = (100, 1000)
TRANSACTIONS_PAGE = (25, 100)
MAX_CANDLES = 350
DAY_S = 86_400

PrivateHandler = Callable[["CoinbaseAccount", web.Request], web.Response]


def configure_coinbase_for_standin(exchange: Any, base_url: str) -> None:
    """Point a ccxt ``coinbase`` client at the stand-in, reading balances from the v3 accounts
    (as the daemon's Coinbase profile does)."""
    point_ccxt_at(exchange, base_url)
    exchange.options["fetchBalance"] = "v3PrivateGetBrokerageAccounts"


class Unauthorized(Exception):
    pass


@dataclass
class CoinbaseAccount:
    key: CdpKey
    wallets: list[CoinbaseWallet] = field(default_factory=list)
    fills: list[CoinbaseFill] = field(default_factory=list)
    #: Each wallet's transactions by wallet uuid, in any order (served newest first).
    transactions: dict[str, list[CoinbaseTransaction]] = field(default_factory=dict)

    def add_wallet(
        self, currency: str, available: str, hold: str = "0", fiat: bool = False
    ) -> CoinbaseWallet:
        wallet_id = stable_uuid(self.key.name, currency)
        wallet = CoinbaseWallet(wallet_id, currency, available, hold, fiat)
        self.wallets.append(wallet)
        self.transactions.setdefault(wallet.uuid, [])
        return wallet

    def wallet(self, currency: str) -> CoinbaseWallet:
        return next(wallet for wallet in self.wallets if wallet.currency == currency)

    def add_transaction(self, transaction: CoinbaseTransaction) -> None:
        self.transactions[self.wallet(transaction.currency).uuid].append(transaction)


def _rate_limit_body() -> tuple[int, dict[str, Any]]:
    return 429, {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}


class CoinbaseStandin:
    def __init__(self) -> None:
        self.control = ExchangeControl(throttle_body=_rate_limit_body)
        self.fiat: dict[str, str] = {}  # code → name
        self.crypto: dict[str, str] = {}
        self.products: list[tuple[str, str]] = []
        #: Each product's day candles (``open_time`` in ms) by product id, ``BTC-USD``.
        self.daily_candles: dict[str, list[Candle]] = {}
        self.accounts: dict[str, CoinbaseAccount] = {}
        #: Why each rejected request was rejected, in order.
        self.rejections: list[str] = []
        self._lock = threading.Lock()

    def add_currency(self, code: str, name: str, fiat: bool = False) -> None:
        (self.fiat if fiat else self.crypto)[code] = name

    def add_product(self, base: str, quote: str) -> str:
        self.products.append((base, quote))
        return f"{base}-{quote}"

    def set_daily_candles(self, product_id: str, candles: list[Candle]) -> None:
        self.daily_candles[product_id] = sorted(candles, key=lambda c: c.open_time)

    def add_account(self, key: CdpKey) -> CoinbaseAccount:
        account = CoinbaseAccount(key)
        self.accounts[key.name] = account
        return account

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.control.middleware()])
        app.router.add_get("/v2/currencies", self._fiat_currencies)
        app.router.add_get("/v2/currencies/crypto", self._crypto_currencies)
        app.router.add_get("/v2/exchange-rates", self._exchange_rates)
        app.router.add_get("/api/v3/brokerage/market/products", self._products)
        app.router.add_get("/api/v3/brokerage/market/products/{product_id}/candles", self._candles)
        private: dict[str, PrivateHandler] = {
            "/api/v3/brokerage/transaction_summary": self._transaction_summary,
            "/api/v3/brokerage/accounts": self._v3_accounts,
            "/api/v3/brokerage/orders/historical/fills": self._fills,
            "/v2/accounts/{account_id}/transactions": self._transactions,
        }
        for path, handler in private.items():
            app.router.add_get(path, self._private(handler))
        return app

    # --- public ---------------------------------------------------------------------------

    async def _fiat_currencies(self, request: web.Request) -> web.Response:
        data = [{"id": c, "name": n, "min_size": "0.01"} for c, n in self.fiat.items()]
        return json_body({"data": data})

    async def _crypto_currencies(self, request: web.Request) -> web.Response:
        data = [
            {
                "asset_id": stable_uuid("asset", code),
                "code": code,
                "name": name,
                "color": "#0052FF",
                "sort_index": index,
                "exponent": 8,
                "type": "crypto",
                "address_regex": "^.+$",
            }
            for index, (code, name) in enumerate(self.crypto.items())
        ]
        return json_body({"data": data})

    async def _exchange_rates(self, request: web.Request) -> web.Response:
        rates = {code: "1" for code in [*self.fiat, *self.crypto]}
        return json_body({"data": {"currency": "USD", "rates": rates}})

    async def _products(self, request: web.Request) -> web.Response:
        if request.query.get("product_type", "SPOT") != "SPOT":
            return json_body({"products": [], "num_products": 0})
        products = [self._product(base, quote) for base, quote in self.products]
        return json_body({"products": products, "num_products": len(products)})

    async def _candles(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("granularity") != "ONE_DAY":
            return _invalid_argument(f"granularity {query.get('granularity')!r} is not served")
        start, end = int(query["start"]), int(query["end"])
        if (end - start) // DAY_S > MAX_CANDLES:
            return _invalid_argument("number of candles requested should be less than 350")
        candles = self.daily_candles.get(request.match_info["product_id"], [])
        chosen = [c for c in reversed(candles) if start <= c.open_time // 1000 <= end]
        return json_body({"candles": [_candle_json(candle) for candle in chosen]})

    def _product(self, base: str, quote: str) -> dict[str, Any]:
        return {
            "product_id": f"{base}-{quote}",
            "price": "1",
            "base_increment": "0.00000001",
            "quote_increment": "0.01",
            "quote_min_size": "1",
            "quote_max_size": "150000000",
            "base_min_size": "0.00000001",
            "base_max_size": "3400",
            "base_name": self.crypto.get(base, base),
            "quote_name": self.fiat.get(quote) or self.crypto.get(quote, quote),
            "is_disabled": False,
            "status": "online",
            "trading_disabled": False,
            "product_type": "SPOT",
            "quote_currency_id": quote,
            "base_currency_id": base,
            "base_display_symbol": base,
            "quote_display_symbol": quote,
            "price_increment": "0.01",
            "display_name": f"{base}-{quote}",
            "product_venue": "CBE",
        }

    # --- authentication -------------------------------------------------------------------

    def _private(self, handler: PrivateHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def checked(request: web.Request) -> web.Response:
            try:
                account = self._authenticate(request)
            except Unauthorized as reason:
                with self._lock:
                    self.rejections.append(str(reason))
                return _unauthorized(request.path)
            return handler(account, request)

        return checked

    def _authenticate(self, request: web.Request) -> CoinbaseAccount:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise Unauthorized("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized(f"malformed token: {error}") from None
        account = self.accounts.get(str(header.get("kid")))
        if account is None:
            raise Unauthorized("unknown key")
        try:
            claims = jwt.decode(
                token,
                account.key.public_key,
                algorithms=["ES256"],
                audience="retail_rest_api_proxy",
                issuer=("cdp", "coinbase-cloud"),
                options={"require": ["exp", "nbf", "sub", "uri"], "verify_aud": _has_aud(token)},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"{type(error).__name__}: {error}") from None
        if claims["sub"] != account.key.name:
            raise Unauthorized("sub is not the key name")
        if int(claims["exp"]) - int(claims["nbf"]) > MAX_TOKEN_SECONDS:
            raise Unauthorized("token lives longer than 120 s")
        if claims["uri"] != expected_uri(request):
            raise Unauthorized(f"uri claim {claims['uri']!r} is not {expected_uri(request)!r}")
        return account

    # --- private --------------------------------------------------------------------------

    def _transaction_summary(self, account: CoinbaseAccount, request: web.Request) -> web.Response:
        tier = {"pricing_tier": "Advanced 1", "usd_from": "0", "usd_to": "1000"}
        tier |= {"taker_fee_rate": "0.008", "maker_fee_rate": "0.006"}
        return json_body({"total_volume": 0, "total_fees": 0, "fee_tier": tier})

    def _v3_accounts(self, account: CoinbaseAccount, request: web.Request) -> web.Response:
        wallets = [wallet.to_v3() for wallet in account.wallets]
        page, cursor = _offset_page(wallets, request.query, ACCOUNTS_PAGE, "cursor")
        body = {"accounts": page, "has_next": cursor != "", "cursor": cursor, "size": len(page)}
        return json_body(body)

    def _fills(self, account: CoinbaseAccount, request: web.Request) -> web.Response:
        query = request.query
        products = set(query.getall("product_id", []) + query.getall("product_ids", []))
        start = _time_param(query, "start_sequence_timestamp")
        end = _time_param(query, "end_sequence_timestamp")
        chosen = [
            fill
            for fill in sorted(account.fills, key=lambda f: (f.time, f.trade_id), reverse=True)
            if (not products or fill.product_id in products)
            and (start is None or fill.time >= start)
            and (end is None or fill.time <= end)
        ]
        page, cursor = _offset_page([f.to_json() for f in chosen], query, FILLS_PAGE, "cursor")
        return json_body({"fills": page, "cursor": cursor})

    def _transactions(self, account: CoinbaseAccount, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]
        if account_id not in account.transactions:
            return json_body({"errors": [{"id": "not_found", "message": "Not found"}]}, 404)
        listed = sorted(account.transactions[account_id], key=lambda t: (t.time, t.id))
        if request.query.get("order", "desc") == "desc":
            listed.reverse()
        after = request.query.get("starting_after")
        if after is not None:
            ids = [transaction.id for transaction in listed]
            listed = listed[ids.index(after) + 1 :] if after in ids else []
        default, largest = TRANSACTIONS_PAGE
        limit = min(int(request.query.get("limit", default)), largest)
        page = listed[:limit]
        next_id = page[-1].id if len(listed) > limit else None
        next_uri = f"/v2/accounts/{account_id}/transactions?limit={limit}&starting_after={next_id}"
        pagination = {
            "ending_before": None,
            "starting_after": after,
            "previous_ending_before": None,
            "next_starting_after": next_id,
            "limit": limit,
            "order": request.query.get("order", "desc"),
            "previous_uri": None,
            "next_uri": None if next_id is None else next_uri,
        }
        data = [transaction.to_json(account_id) for transaction in page]
        return json_body({"pagination": pagination, "data": data})


def expected_uri(request: web.Request) -> str:
    """The ``uri`` claim for ``request``: ``GET api.coinbase.com/api/v3/brokerage/accounts`` on
    Coinbase; ccxt removes only ``https://``, so a plain-HTTP URL keeps its scheme."""
    target = f"{request.host}{request.path}"
    if request.scheme != "https":
        target = f"{request.scheme}://{target}"
    return f"{request.method} {target}"


def _has_aud(token: str) -> bool:
    claims = jwt.decode(token, options={"verify_signature": False})
    return "aud" in claims


def _unauthorized(path: str) -> web.Response:
    if path.startswith("/api/v3/"):
        return web.Response(status=401, text="Unauthorized\n", content_type="text/plain")
    error = {"id": "authentication_error", "message": "invalid signature"}
    return json_body({"errors": [error]}, 401)


def _candle_json(candle: Candle) -> dict[str, str]:
    return {
        "start": str(candle.open_time // 1000),
        "low": candle.low,
        "high": candle.high,
        "open": candle.open,
        "close": candle.close,
        "volume": candle.volume,
    }


def _invalid_argument(message: str) -> web.Response:
    error = {"error": "INVALID_ARGUMENT", "error_details": message, "message": message}
    return json_body(error, 400)


def _offset_page(
    items: list[dict[str, Any]], query: Any, sizes: tuple[int, int], name: str
) -> tuple[list[dict[str, Any]], str]:
    """One page of ``items`` from the offset its opaque cursor holds, and the next cursor
    (``""`` on the last page, as Coinbase sends it)."""
    default, largest = sizes
    limit = min(int(query.get("limit", default)), largest)
    offset = int(query.get(name) or 0)
    page = items[offset : offset + limit]
    following = offset + limit
    return page, str(following) if following < len(items) else ""


def _time_param(query: Any, name: str) -> int | None:
    text = query.get(name)
    return None if not text else parse_rfc3339(text)
