"""The read-only key check against the fake Binance (permissions) and Kraken (balance only)."""

import base64
from collections.abc import Iterator

import pytest

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.exchanges.key_check import KeyCheck, check_key
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.kraken import KrakenStandin, configure_kraken_for_standin

KEY = "Ab3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df1"
SECRET = "Cd7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ej"


@pytest.fixture
def binance() -> BinanceStandin:
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    standin.add_account(KEY, SECRET).balances = {"BTC": ("1", "0")}
    return standin


@pytest.fixture
def harness(binance: BinanceStandin) -> Iterator[Harness]:
    with serve_in_thread(binance.app()) as url:
        yield Harness("binance", lambda exchange: configure_binance_for_standin(exchange, url))


async def test_a_read_only_binance_key_passes_without_warnings(
    binance: BinanceStandin, harness: Harness
) -> None:
    check = await check_key(harness.source(), harness.spec(KEY, SECRET))
    assert check == KeyCheck(can_read=True, can_trade=False, can_withdraw=False, warnings=[])
    assert binance.control.paths() == [
        "/api/v3/exchangeInfo",
        "/sapi/v1/account/apiRestrictions",
        "/api/v3/account",
    ]
    assert harness.all_closed()


async def test_a_binance_key_that_can_trade_and_withdraw_is_flagged(
    binance: BinanceStandin, harness: Harness
) -> None:
    restrictions = binance.accounts[KEY].restrictions
    restrictions["enableWithdrawals"] = True
    restrictions["enableSpotAndMarginTrading"] = True
    check = await check_key(harness.source(), harness.spec(KEY, SECRET))
    assert check == KeyCheck(
        can_read=True,
        can_trade=True,
        can_withdraw=True,
        warnings=[
            "This Binance API key can withdraw funds. Privatefolio only reads: "
            "create a read-only key instead.",
            "This Binance API key can trade. Privatefolio only reads: a read-only key is safer.",
        ],
    )


async def test_a_binance_key_without_reading_is_refused(
    binance: BinanceStandin, harness: Harness
) -> None:
    binance.accounts[KEY].restrictions["enableReading"] = False
    with pytest.raises(SyncError) as failure:
        await check_key(harness.source(), harness.spec(KEY, SECRET))
    assert str(failure.value) == (
        "Binance rejected the API key or secret. Check that both were copied correctly "
        "and that the key is still active."
    )
    assert harness.all_closed()


async def test_a_kraken_key_is_checked_by_reading_the_balance() -> None:
    secret = base64.b64encode(b"kraken-check" * 4).decode()
    standin = KrakenStandin()
    standin.add_asset("XXBT", "XBT")
    standin.add_asset("ZUSD", "USD")
    standin.add_pair("XXBT", "ZUSD")
    standin.add_account("kraken-key", secret)
    with serve_in_thread(standin.app()) as url:
        harness = Harness("kraken", lambda exchange: configure_kraken_for_standin(exchange, url))
        check = await check_key(harness.source(), harness.spec("kraken-key", secret))
    assert check == KeyCheck(can_read=True, can_trade=None, can_withdraw=None, warnings=[])
    assert standin.control.paths()[-1] == "/0/private/BalanceEx"
