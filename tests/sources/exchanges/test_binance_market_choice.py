"""Which Binance markets a sync reads trades of (Binance answers trades one market at a time),
and what the task log says about it.

The account of every test: 1,000 USDT deposited, 2 SOL bought at 150 (fee 0.002 SOL), 1.998 SOL
sold at 160 (fee 0.31968 USDT). SOL is back at zero and was never deposited or withdrawn.
"""

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncResult
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import BinanceDeposit, BinanceTrade

KEY = "Pq3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df1"
SECRET = "Rg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ej"
T = now_ms() // 1000 * 1000
SOL_BUY = BinanceTrade("SOLUSDT", 1, 11, "150", "2", "0.002", "SOL", T - 5 * DAY_MS, True)
SOL_SELL = BinanceTrade("SOLUSDT", 2, 12, "160", "1.998", "0.31968", "USDT", T - 4 * DAY_MS, False)
USDT_LEFT = Decimal("1019.36032")
HOW_TO_ADD = (
    "Binance answers trades one market at a time, so only the markets of the currencies this "
    "account holds, moved in or out or traded before are read. To read another market (of a "
    "currency bought and sold away that was never deposited or withdrawn), add it to the "
    'connection\'s "symbols" option, e.g. ["SOL/USDT"].'
)


@pytest.fixture
def standin() -> BinanceStandin:
    standin = BinanceStandin()
    for base, quote in [("BTC", "USDT"), ("ETH", "USDT"), ("ETH", "BTC"), ("SOL", "USDT")]:
        standin.add_market(base, quote)
    account = standin.add_account(KEY, SECRET)
    account.deposits = [
        BinanceDeposit("dep-1", "USDT", "1000", "ETH", "0xin", "0xtx1", T - 10 * DAY_MS)
    ]
    account.trades = [SOL_BUY, SOL_SELL]
    account.balances = {"USDT": (str(USDT_LEFT), "0"), "SOL": ("0", "0")}
    return standin


@pytest.fixture
def harness(standin: BinanceStandin) -> Iterator[Harness]:
    with serve_in_thread(standin.app()) as url:
        yield Harness("binance", lambda exchange: configure_binance_for_standin(exchange, url))


def spec(harness: Harness, **options: Any) -> ConnectionSpec:
    return dataclasses.replace(harness.spec(KEY, SECRET), options=options)


def read_markets(standin: BinanceStandin) -> list[str]:
    return sorted({q.query["symbol"] for q in standin.control.requests_to("/api/v3/myTrades")})


def messages(harness: Harness) -> list[str]:
    return [message for _, message in harness.progress if message]


def sums(result: SyncResult) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for log in result.logs:
        code = log.assetId.split(":")[1]
        totals[code] = totals.get(code, Decimal(0)) + Decimal(log.change)
    return totals


async def test_the_task_log_names_the_markets_read_and_how_to_add_others(
    standin: BinanceStandin, harness: Harness
) -> None:
    result = await harness.source().sync(spec(harness), 0, harness.report)
    # SOL/USDT cannot be guessed: nothing in the account names SOL.
    assert read_markets(standin) == ["BTCUSDT", "ETHUSDT"]
    assert sums(result) == {"USDT": Decimal(1000)}
    assert f"Read the trades of 2 Binance markets: BTC/USDT, ETH/USDT. {HOW_TO_ADD}" in (
        messages(harness)
    )
    assert harness.progress[-1] == (100, "Fetched 0 trades: 1 audit logs")


async def test_the_symbols_option_names_markets_as_ccxt_or_binance_writes_them(
    standin: BinanceStandin, harness: Harness
) -> None:
    options = {"symbols": ["SOLUSDT", "sol/usdt", "DOGE/USDT"]}
    result = await harness.source().sync(spec(harness, **options), 0, harness.report)
    assert read_markets(standin) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert sums(result) == {"USDT": USDT_LEFT, "SOL": Decimal(0)}
    assert messages(harness)[-2:] == [
        f"Read the trades of 3 Binance markets: BTC/USDT, ETH/USDT, SOL/USDT. {HOW_TO_ADD}",
        "Fetched 2 trades: 7 audit logs",
    ]
    assert (
        'Not Binance markets, so not read: DOGE/USDT (from the connection\'s "symbols" option)'
        in messages(harness)
    )


async def test_a_comma_separated_symbols_option_works_too(
    standin: BinanceStandin, harness: Harness
) -> None:
    await harness.source().sync(spec(harness, symbols="SOL/USDT, ETH/BTC"), 0, harness.report)
    assert read_markets(standin) == ["BTCUSDT", "ETHBTC", "ETHUSDT", "SOLUSDT"]


async def test_currencies_of_earlier_syncs_are_read_again_once_sold_away(
    standin: BinanceStandin, harness: Harness
) -> None:
    """The daemon passes the asset ids of the connection's audit logs as ``knownAssetIds``: an
    earlier sync saw SOL bought, this one finds it sold although nothing holds SOL now."""
    known = ["ex.binance:SOL", "ex.binance:USDT", "ex.other:DOGE"]
    result = await harness.source().sync(
        spec(harness, knownAssetIds=known), SOL_BUY.time + 1, harness.report
    )
    assert read_markets(standin) == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert sums(result) == {"USDT": Decimal("319.36032"), "SOL": Decimal("-1.998")}


async def test_markets_of_currencies_the_found_trades_moved_are_read_too(
    standin: BinanceStandin, harness: Harness
) -> None:
    """ETH bought with USDT, swapped for BTC, BTC sold for USDT: ETH and BTC are at zero and never
    moved, but the trades on ETH/USDT and BTC/USDT show them, so ETH/BTC is read as well."""
    account = standin.accounts[KEY]
    account.trades = [
        BinanceTrade("ETHUSDT", 1, 21, "2000", "0.5", "1", "USDT", T - 9 * DAY_MS, True),
        BinanceTrade("ETHBTC", 1, 22, "0.05", "0.5", "0.00001", "BTC", T - 8 * DAY_MS, False),
        BinanceTrade("BTCUSDT", 1, 23, "40000", "0.02499", "1", "USDT", T - 7 * DAY_MS, False),
    ]
    account.balances = {"USDT": ("997.6", "0")}
    result = await harness.source().sync(spec(harness), 0, harness.report)
    assert read_markets(standin) == ["BTCUSDT", "ETHBTC", "ETHUSDT"]
    assert sums(result) == {"USDT": Decimal("997.6"), "ETH": Decimal(0), "BTC": Decimal(0)}
    assert harness.progress[-1] == (100, "Fetched 3 trades: 10 audit logs")
