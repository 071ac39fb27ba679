"""A Coinbase account on the fake Coinbase API, and a daemon pointed at it.

1,000 USD come in from the bank, 0.01 BTC is bought at 30,000 (commission 1.8 USD), 0.005 BTC is
sent out (network fee 0.0001 BTC) and 0.5 ETH is received (the sender paid its network fee). The
fill also leaves its traces in the BTC and USD transaction lists, which are not transfers.
"""

from dataclasses import dataclass

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.settings import ConnectionSourceSettings
from tests.standins.exchanges.coinbase import CoinbaseStandin
from tests.standins.exchanges.coinbase_records import (
    CoinbaseFill,
    crypto_receive,
    crypto_send,
    fiat_deposit,
    fill_entry,
    new_cdp_key,
)

KEY = new_cdp_key("7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817")
CONNECTION_ID = string_hash(f"coinbase-connection_ex.coinbase_{KEY.name}")
BAD_KEY_MESSAGE = (
    "Coinbase rejected the API key or secret. Check that both were copied correctly "
    "and that the key is still active."
)
T = now_ms() // 1000 * 1000  # whole seconds: v2 transactions carry times in seconds
DEPOSIT_AT, WITHDRAW_AT, RECEIVE_AT = T - 20 * DAY_MS, T - 5 * DAY_MS, T - 3 * DAY_MS
FILL_AT = T - 10 * DAY_MS + 123
TRADE = "TRADE_BTC-USD_trade-1"
#: What the stand-in holds at the end: available + hold.
BALANCES = {"USD": ("598.2", "100"), "BTC": ("0.0049", "0"), "ETH": ("0.5", "0"), "SOL": ("0", "0")}

Log = tuple[str, str, str, str, int]


@dataclass
class CoinbaseScene:
    standin: CoinbaseStandin
    url: str

    def point(self, daemon: Daemon) -> None:
        """Send the daemon's Coinbase syncs to the stand-in, with quick retries."""
        daemon.connection_sources.settings = ConnectionSourceSettings(
            exchange_api_urls={"coinbase": self.url},
            exchange_retry_delays=(0.01, 0.01, 0.01),
            exchange_refill_rate=1.0,
        )


def coinbase_standin() -> CoinbaseStandin:
    standin = CoinbaseStandin()
    standin.add_currency("USD", "US Dollar", fiat=True)
    for code, name in [("BTC", "Bitcoin"), ("ETH", "Ethereum"), ("SOL", "Solana")]:
        standin.add_currency(code, name)
    for base, quote in [("BTC", "USD"), ("ETH", "USD"), ("ETH", "BTC"), ("SOL", "USD")]:
        standin.add_product(base, quote)
    account = standin.add_account(KEY)
    for code, (available, hold) in BALANCES.items():
        account.add_wallet(code, available, hold, fiat=code == "USD")
    account.fills = [
        CoinbaseFill("trade-1", "order-1", "BTC-USD", "BUY", "30000", "0.01", "1.8", FILL_AT)
    ]
    for transaction in [
        fiat_deposit("dep-usd-1", "USD", "1000", DEPOSIT_AT),
        fill_entry("fill-btc-1", "BTC", "0.01", FILL_AT - 123),
        fill_entry("fill-usd-1", "USD", "-301.8", FILL_AT - 123),
        crypto_send("send-btc-1", "BTC", "0.005", "0.0001", WITHDRAW_AT, "0xsendhash"),
        crypto_receive("recv-eth-1", "ETH", "0.5", RECEIVE_AT, "0xrecvhash", sender_fee="0.00042"),
    ]:
        account.add_transaction(transaction)
    return standin


def new_connection(key_pem: str = KEY.private_pem) -> dict[str, str]:
    return {
        "extensionId": "coinbase-connection",
        "platformId": "ex.coinbase",
        "apiKey": KEY.name,
        "apiSecret": key_pem,
    }


def expected_logs(connection_id: str = CONNECTION_ID) -> list[Log]:
    """``(id, assetId, change, operation, timestamp)`` in the ledger's order (time, change, id)."""

    def log(suffix: str, asset: str, change: str, operation: str, at: int) -> Log:
        return (f"{connection_id}_{suffix}", f"ex.coinbase:{asset}", change, operation, at)

    return [
        log("DEPOSIT_USD_dep-usd-1", "USD", "1000", "Deposit", DEPOSIT_AT),
        log(f"{TRADE}_SELL", "USD", "-300", "Sell", FILL_AT),
        log(f"{TRADE}_FEE", "USD", "-1.8", "Fee", FILL_AT),
        log(f"{TRADE}_BUY", "BTC", "0.01", "Buy", FILL_AT),
        log("WITHDRAW_BTC_send-btc-1", "BTC", "-0.005", "Withdraw", WITHDRAW_AT),
        log("WITHDRAW_BTC_send-btc-1_FEE", "BTC", "-0.0001", "Fee", WITHDRAW_AT),
        log("DEPOSIT_ETH_recv-eth-1", "ETH", "0.5", "Deposit", RECEIVE_AT),
    ]
