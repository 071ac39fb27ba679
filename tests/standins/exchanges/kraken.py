"""A fake Kraken spot REST API that the real ccxt ``kraken`` client can talk to.

Public (GET): ``/0/public/Assets``, ``/0/public/AssetPairs``, ``/0/public/OHLC``.
Private (POST, form body with ``nonce``; ``API-Key`` and ``API-Sign`` =
base64(HMAC-SHA512(base64(secret), path + SHA256(nonce + body)))): ``BalanceEx``, ``Balance``,
``TradesHistory`` (50 per page, newest first, ``ofs``), ``DepositStatus``, ``WithdrawStatus``.
Kraken answers errors with HTTP 200 and ``{"error": [...]}``.
"""

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from tests.standins.exchanges.control import ExchangeControl, json_body, point_ccxt_at

TRADES_PER_PAGE = 50
OHLC_MAX_ENTRIES = 720

PrivateHandler = Callable[["KrakenAccount", dict[str, str]], dict[str, Any] | list[Any]]


def configure_kraken_for_standin(exchange: Any, base_url: str) -> None:
    """Point a ccxt ``kraken`` client at the stand-in (``load_markets`` needs no extra options)."""
    point_ccxt_at(exchange, base_url)


class KrakenError(Exception):
    pass


@dataclass
class KrakenAccount:
    """``balances`` maps Kraken asset ids (``XXBT``) → (balance, hold_trade)."""

    api_key: str
    secret_b64: str
    balances: dict[str, tuple[str, str]] = field(default_factory=dict)
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)
    deposits: list[dict[str, Any]] = field(default_factory=list)
    withdrawals: list[dict[str, Any]] = field(default_factory=list)
    last_nonce: int = 0


def _rate_limit_body() -> tuple[int, dict[str, Any]]:
    return 429, {"error": ["EGeneral:Too many requests"]}


class KrakenStandin:
    def __init__(self) -> None:
        self.control = ExchangeControl(throttle_body=_rate_limit_body)
        self.assets: dict[str, str] = {}  # id → altname, e.g. XXBT → XBT
        self.pairs: dict[str, tuple[str, str]] = {}  # id → (base id, quote id)
        self.daily_candles: dict[str, list[list[Any]]] = {}
        self.accounts: dict[str, KrakenAccount] = {}

    def add_asset(self, asset_id: str, altname: str) -> None:
        self.assets[asset_id] = altname

    def add_pair(self, base_id: str, quote_id: str) -> str:
        pair_id = base_id + quote_id
        self.pairs[pair_id] = (base_id, quote_id)
        return pair_id

    def set_daily_candles(self, pair_id: str, rows: list[list[Any]]) -> None:
        """Rows as Kraken sends them: ``[time_s, open, high, low, close, vwap, volume, count]``."""
        self.daily_candles[pair_id] = sorted(rows, key=lambda row: int(row[0]))

    def add_account(self, api_key: str, secret_b64: str) -> KrakenAccount:
        account = KrakenAccount(api_key=api_key, secret_b64=secret_b64)
        self.accounts[api_key] = account
        return account

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.control.middleware()])
        app.router.add_get("/0/public/Assets", self._assets)
        app.router.add_get("/0/public/AssetPairs", self._asset_pairs)
        app.router.add_get("/0/public/OHLC", self._ohlc)
        private: dict[str, PrivateHandler] = {
            "BalanceEx": self._balance_ex,
            "Balance": self._balance,
            "TradesHistory": self._trades_history,
            "DepositStatus": lambda account, _: account.deposits,
            "WithdrawStatus": lambda account, _: account.withdrawals,
        }
        for name, handler in private.items():
            app.router.add_post(f"/0/private/{name}", self._private(handler))
        return app

    # --- public ---------------------------------------------------------------------------

    async def _assets(self, request: web.Request) -> web.Response:
        result = {
            asset_id: {
                "aclass": "currency",
                "altname": altname,
                "decimals": 10,
                "display_decimals": 5,
                "status": "enabled",
            }
            for asset_id, altname in self.assets.items()
        }
        return json_body({"error": [], "result": result})

    async def _asset_pairs(self, request: web.Request) -> web.Response:
        result = {
            pair_id: self._pair_info(base, quote) for pair_id, (base, quote) in self.pairs.items()
        }
        return json_body({"error": [], "result": result})

    def _pair_info(self, base: str, quote: str) -> dict[str, Any]:
        altname = self.assets[base] + self.assets[quote]
        return {
            "altname": altname,
            "wsname": f"{self.assets[base]}/{self.assets[quote]}",
            "aclass_base": "currency",
            "base": base,
            "aclass_quote": "currency",
            "quote": quote,
            "lot": "unit",
            "cost_decimals": 5,
            "pair_decimals": 1,
            "lot_decimals": 8,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": [[0, 0.4]],
            "fees_maker": [[0, 0.25]],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": "0.0001",
            "costmin": "0.5",
            "tick_size": "0.1",
            "status": "online",
        }

    async def _ohlc(self, request: web.Request) -> web.Response:
        pair = request.query.get("pair", "")
        if pair not in self.pairs:
            return json_body({"error": ["EQuery:Unknown asset pair"]})
        if request.query.get("interval", "1") != "1440":
            rows: list[list[Any]] = []
        else:
            rows = self.daily_candles.get(pair, [])[-OHLC_MAX_ENTRIES:]
        since = int(request.query.get("since", "0"))
        chosen = [row for row in rows if int(row[0]) > since]
        last = int(chosen[-1][0]) if chosen else since
        return json_body({"error": [], "result": {pair: chosen, "last": last}})

    # --- private --------------------------------------------------------------------------

    def _private(self, handler: PrivateHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def checked(request: web.Request) -> web.Response:
            body = await request.text()
            try:
                account = self._authenticate(request, body)
            except KrakenError as error:
                return json_body({"error": [str(error)]})
            params = {key: values[0] for key, values in parse_qs(body).items()}
            return json_body({"error": [], "result": handler(account, params)})

        return checked

    def _authenticate(self, request: web.Request, body: str) -> KrakenAccount:
        account = self.accounts.get(request.headers.get("API-Key", ""))
        if account is None:
            raise KrakenError("EAPI:Invalid key")
        nonce_text = parse_qs(body).get("nonce", [""])[0]
        if not nonce_text.isdigit():
            raise KrakenError("EAPI:Invalid nonce")
        digest = hashlib.sha256((nonce_text + body).encode()).digest()
        expected = hmac.new(
            base64.b64decode(account.secret_b64), request.path.encode() + digest, hashlib.sha512
        ).digest()
        given = request.headers.get("API-Sign", "")
        if not hmac.compare_digest(base64.b64encode(expected).decode(), given):
            raise KrakenError("EAPI:Invalid signature")
        if int(nonce_text) <= account.last_nonce:
            raise KrakenError("EAPI:Invalid nonce")
        account.last_nonce = int(nonce_text)
        return account

    def _balance_ex(self, account: KrakenAccount, params: dict[str, str]) -> dict[str, Any]:
        return {
            asset: {"balance": total, "hold_trade": held}
            for asset, (total, held) in account.balances.items()
        }

    def _balance(self, account: KrakenAccount, params: dict[str, str]) -> dict[str, Any]:
        return {asset: total for asset, (total, _) in account.balances.items()}

    def _trades_history(self, account: KrakenAccount, params: dict[str, str]) -> dict[str, Any]:
        start = float(params.get("start", "0"))
        end = float(params["end"]) if "end" in params else None
        matching = sorted(
            (
                (txid, trade)
                for txid, trade in account.trades.items()
                if trade["time"] > start and (end is None or trade["time"] <= end)
            ),
            key=lambda item: item[1]["time"],
            reverse=True,
        )
        offset = int(params.get("ofs", "0"))
        page = dict(matching[offset : offset + TRADES_PER_PAGE])
        return {"trades": page, "count": len(matching)}


def kraken_trade(
    pair: str, time_s: float, side: str, price: str, volume: str, fee: str, order_txid: str
) -> dict[str, Any]:
    """A ``TradesHistory`` entry; ``cost`` is price × volume as Kraken reports it."""
    return {
        "ordertxid": order_txid,
        "postxid": "TKH2SE-M7IF5-CFI7LT",
        "pair": pair,
        "time": time_s,
        "type": side,
        "ordertype": "limit",
        "price": price,
        "cost": str(Decimal(price) * Decimal(volume)),
        "fee": fee,
        "vol": volume,
        "margin": "0.00000",
        "misc": "",
        "maker": True,
    }
