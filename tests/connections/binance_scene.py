"""A Binance account on the fake Binance API, and a daemon pointed at it."""

from dataclasses import dataclass

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.settings import ConnectionSourceSettings
from tests.standins.exchanges.binance import BinanceStandin
from tests.standins.exchanges.binance_records import (
    BinanceConvert,
    BinanceDeposit,
    BinanceDribblet,
    BinanceTrade,
    BinanceWithdrawal,
    DustDetail,
)

API_KEY = "Wq3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df7"
API_SECRET = "Hg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ex"
CONNECTION_ID = string_hash(f"binance-connection_ex.binance_{API_KEY}")
BAD_KEY_MESSAGE = (
    "Binance rejected the API key or secret. Check that both were copied correctly "
    "and that the key is still active."
)
T = now_ms() // 1000 * 1000  # whole seconds: Binance prints withdrawal times in seconds
DEPOSIT_AT, TRADE_AT, WITHDRAWAL_AT = T - 20 * DAY_MS, T - 10 * DAY_MS, T - 5 * DAY_MS


@dataclass
class BinanceScene:
    standin: BinanceStandin
    url: str

    def point(self, daemon: Daemon) -> None:
        """Send the daemon's Binance syncs to the stand-in, with quick retries."""
        daemon.connection_sources.settings = ConnectionSourceSettings(
            exchange_api_urls={"binance": self.url},
            exchange_retry_delays=(0.01, 0.01, 0.01),
            exchange_refill_rate=1.0,
        )


def binance_standin() -> BinanceStandin:
    """1,000 USDT deposited, 0.01 BTC bought at 30,000, 100 USDT withdrawn (fee 1)."""
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    standin.add_market("ETH", "USDT")
    account = standin.add_account(API_KEY, API_SECRET)
    account.balances = {"BTC": ("0.00999000", "0"), "USDT": ("599.00000000", "0")}
    account.deposits = [
        BinanceDeposit("dep-1", "USDT", "1000", "ETH", "0xin", "0xtxin1", DEPOSIT_AT),
    ]
    account.trades = [
        BinanceTrade("BTCUSDT", 101, 5101, "30000", "0.01000000", "0.00001", "BTC", TRADE_AT, True)
    ]
    account.withdrawals = [
        BinanceWithdrawal("wd-1", "USDT", "100", "1", "ETH", "0xout", "0xout1", WITHDRAWAL_AT)
    ]
    return standin


CONVERT_AT, DUST_AT = T - 4 * DAY_MS, T - 2 * DAY_MS


def add_conversions(standin: BinanceStandin) -> None:
    """After ``binance_standin()``'s history: 100 USDT converted to 0.05 ETH, then 0.5 USDT
    converted to 0.001 BNB (fee 0.00002 BNB) with "Convert small balances to BNB"."""
    account = standin.accounts[API_KEY]
    account.converts = [
        BinanceConvert(940708407462087195, "USDT", "100", "ETH", "0.05", CONVERT_AT)
    ]
    account.dribblets = [
        BinanceDribblet(70899815863, DUST_AT, (DustDetail("USDT", "0.5", "0.001", "0.00002"),))
    ]
    account.balances = {
        "BTC": ("0.00999000", "0"),
        "ETH": ("0.05000000", "0"),
        "USDT": ("498.50000000", "0"),
        "BNB": ("0.00098000", "0"),
    }


def new_connection(secret: str = API_SECRET) -> dict[str, str]:
    return {
        "extensionId": "binance-connection",
        "platformId": "ex.binance",
        "apiKey": API_KEY,
        "apiSecret": secret,
    }


def expected_logs(connection_id: str = CONNECTION_ID) -> list[tuple[str, str, str, str, int]]:
    """``(id, assetId, change, operation, timestamp)`` in ascending order."""

    def log(
        suffix: str, asset: str, change: str, operation: str, at: int
    ) -> tuple[str, str, str, str, int]:
        return (f"{connection_id}_{suffix}", f"ex.binance:{asset}", change, operation, at)

    return [
        log("DEPOSIT_USDT_dep-1", "USDT", "1000", "Deposit", DEPOSIT_AT),
        log("TRADE_BTCUSDT_101_SELL", "USDT", "-300", "Sell", TRADE_AT),
        log("TRADE_BTCUSDT_101_FEE", "BTC", "-0.00001", "Fee", TRADE_AT),
        log("TRADE_BTCUSDT_101_BUY", "BTC", "0.01", "Buy", TRADE_AT),
        log("WITHDRAW_USDT_wd-1", "USDT", "-100", "Withdraw", WITHDRAWAL_AT),
        log("WITHDRAW_USDT_wd-1_FEE", "USDT", "-1", "Fee", WITHDRAWAL_AT),
    ]
