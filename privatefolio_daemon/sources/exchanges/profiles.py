"""What the sync needs to know about each exchange beyond what ccxt tells it.

ccxt unifies the call shapes but not the paging rules: Binance wants a symbol per trade query and
90-day windows for transfers, Kraken pages trades 50 at a time by offset, Coinbase pages fills by
an opaque cursor and keeps transfers in one transaction list per currency account. An exchange
without a profile gets the generic one (``since`` paging, one call at a time).
"""

from dataclasses import dataclass, field
from typing import Any, Literal

TradePaging = Literal["from_id", "offset", "since", "cursor"]
TransferPaging = Literal["windows", "single", "accounts"]

#: The ``ConnectionSpec.options`` entry that carries the decrypted API passphrase (in memory only).
PASSPHRASE_OPTION = "apiPassphrase"

# Quote currencies whose markets are searched for the currencies an account holds or moves.
COMMON_QUOTES: tuple[str, ...] = (
    "USDT",
    "USDC",
    "FDUSD",
    "BUSD",
    "TUSD",
    "DAI",
    "BTC",
    "ETH",
    "BNB",
    "EUR",
    "USD",
    "GBP",
    "TRY",
    "BRL",
)


@dataclass(frozen=True, slots=True)
class ExchangeProfile:
    exchange_id: str
    display_name: str
    #: ``fetch_my_trades`` needs a symbol: trades are read market by market.
    trades_need_symbol: bool = False
    trade_paging: TradePaging = "since"
    trades_per_page: int = 100
    transfer_paging: TransferPaging = "single"
    transfer_window_ms: int = 0
    transfers_per_page: int = 1000
    #: When the exchange opened: transfer windows start here on a first sync.
    history_start_ms: int = 0
    #: Requests in flight at once (Kraken checks that nonces only grow, so it gets one).
    concurrency: int = 1
    #: Some exchanges need an API passphrase (``password`` in ccxt) besides key and secret.
    needs_password: bool = False
    #: ccxt options set on every client of this exchange.
    ccxt_options: dict[str, Any] = field(default_factory=dict)
    #: What the API secret looks like, for the error about one that cannot sign a request.
    secret_format: str = ""
    #: Binance Convert trades and dust conversions to BNB are read too (``conversions``).
    conversions: bool = False


PROFILES: dict[str, ExchangeProfile] = {
    "binance": ExchangeProfile(
        exchange_id="binance",
        display_name="Binance",
        trades_need_symbol=True,
        trade_paging="from_id",
        trades_per_page=1000,
        transfer_paging="windows",
        transfer_window_ms=90 * 86_400_000,
        transfers_per_page=1000,
        history_start_ms=1_498_867_200_000,  # 2017-07-01
        concurrency=4,
        conversions=True,
    ),
    "kraken": ExchangeProfile(
        exchange_id="kraken",
        display_name="Kraken",
        trade_paging="offset",
        trades_per_page=50,
        secret_format="Kraken shows the private key as a base64 string of 88 characters",
    ),
    "coinbase": ExchangeProfile(
        exchange_id="coinbase",
        display_name="Coinbase",
        trade_paging="cursor",
        trades_per_page=250,
        transfer_paging="accounts",
        transfers_per_page=100,
        # The Advanced Trade account list: balances with holds, paged by cursor.
        ccxt_options={"fetchBalance": "v3PrivateGetBrokerageAccounts"},
        secret_format=(
            "Coinbase's is the key file's privateKey, a PEM block from "
            "-----BEGIN EC PRIVATE KEY----- to -----END EC PRIVATE KEY----- with its line breaks"
        ),
    ),
}


def profile_for(exchange_id: str) -> ExchangeProfile:
    known = PROFILES.get(exchange_id)
    if known is not None:
        return known
    return ExchangeProfile(exchange_id=exchange_id, display_name=exchange_id.capitalize())


def platform_id(exchange_id: str) -> str:
    return f"ex.{exchange_id}"


def extension_id(exchange_id: str) -> str:
    return f"{exchange_id}-connection"
