"""A Binance account synced through the real ccxt client against the fake Binance API."""

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.sources.connection_source import SyncError, SyncResult
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import (
    BinanceAccount,
    BinanceDeposit,
    BinanceTrade,
    BinanceWithdrawal,
)
from tests.standins.exchanges.control import unreachable_url

KEY = "Zq3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df1"
SECRET = "Tg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ej"
HOUR_MS = 3_600_000
T = now_ms() // 1000 * 1000  # whole seconds: Binance prints withdrawal times in seconds
CONNECTION = "conn-1"
BAD_KEY_MESSAGE = (
    "Binance rejected the API key or secret. Check that both were copied correctly "
    "and that the key is still active."
)


def trade(
    symbol: str, trade_id: int, at: int, buyer: bool, qty: str, price: str, fee: str, fee_coin: str
) -> BinanceTrade:
    return BinanceTrade(symbol, trade_id, 5000 + trade_id, price, qty, fee, fee_coin, at, buyer)


@pytest.fixture
def standin() -> BinanceStandin:
    standin = BinanceStandin()
    for base, quote in [
        ("BTC", "USDT"),
        ("ETH", "BTC"),
        ("ETH", "USDT"),
        ("BNB", "USDT"),
        ("XRP", "USDT"),
        ("DOGE", "BTC"),
    ]:
        standin.add_market(base, quote)
    account = standin.add_account(KEY, SECRET)
    account.balances = {
        "BTC": ("0.50499000", "0.00000000"),
        "ETH": ("0.10000000", "0.00000000"),
        "USDT": ("700.84500000", "44.00000000"),
        "BNB": ("0.49990000", "0.00000000"),
        "XRP": ("0.00000000", "0.00000000"),
    }
    account.trades = [
        trade("BTCUSDT", 101, T - 10 * DAY_MS, True, "0.01000000", "30000.50", "0.00001", "BTC"),
        trade("BTCUSDT", 102, T - 9 * DAY_MS, False, "0.00500000", "31000.00", "0.155", "USDT"),
        trade("ETHBTC", 7, T - 8 * DAY_MS, True, "0.10000000", "0.05000000", "0.0001", "BNB"),
    ]
    account.deposits = [
        BinanceDeposit("dep-1", "BTC", "0.5", "BTC", "bc1qin", "tx-in-1", T - 20 * DAY_MS),
        BinanceDeposit("dep-2", "USDT", "1000", "ETH", "0xin", "0xtxin2", T - 15 * DAY_MS),
    ]
    account.withdrawals = [
        BinanceWithdrawal("wd-1", "USDT", "100", "1", "ETH", "0xout", "0xout1", T - 5 * DAY_MS),
        BinanceWithdrawal(
            "wd-2", "USDT", "50", "1", "ETH", "0xout", "0xout2", T - 4 * DAY_MS, status=1
        ),  # cancelled: never left the account
    ]
    return standin


@pytest.fixture
def url(standin: BinanceStandin) -> Iterator[str]:
    with serve_in_thread(standin.app()) as base_url:
        yield base_url


@pytest.fixture
def harness(url: str) -> Harness:
    return Harness("binance", lambda exchange: configure_binance_for_standin(exchange, url))


def account_of(standin: BinanceStandin) -> BinanceAccount:
    return standin.accounts[KEY]


def log(log_id: str, asset: str, change: str, operation: str, at: int, tx: str) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{log_id}",
        "assetId": f"ex.binance:{asset}",
        "change": change,
        "connectionId": CONNECTION,
        "importIndex": at,
        "operation": operation,
        "platformId": "ex.binance",
        "timestamp": at,
        "txId": f"{CONNECTION}_{tx}",
        "wallet": "Binance Spot",
    }


def swap(
    tx: str,
    at: int,
    incoming: tuple[str, str],
    outgoing: tuple[str, str],
    fee: tuple[str, str],
    price: str,
) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{tx}",
        "incomingAsset": f"ex.binance:{incoming[1]}",
        "incoming": incoming[0],
        "feeAsset": f"ex.binance:{fee[1]}",
        "fee": fee[0],
        "connectionId": CONNECTION,
        "importIndex": at,
        "outgoingAsset": f"ex.binance:{outgoing[1]}",
        "outgoing": outgoing[0],
        "platformId": "ex.binance",
        "price": price,
        "timestamp": at,
        "type": "Swap",
        "wallet": "Binance Spot",
        "metadata": {},
    }


def transfer_tx(tx: str, kind: str, at: int, amount: str, asset: str) -> dict[str, Any]:
    side = "incoming" if kind == "Deposit" else "outgoing"
    return {
        "id": f"{CONNECTION}_{tx}",
        f"{side}Asset": f"ex.binance:{asset}",
        side: amount,
        "connectionId": CONNECTION,
        "importIndex": at,
        "platformId": "ex.binance",
        "timestamp": at,
        "type": kind,
        "wallet": "Binance Spot",
        "metadata": {},
    }


T101, T102, T7 = T - 10 * DAY_MS, T - 9 * DAY_MS, T - 8 * DAY_MS
D1, D2, W1 = T - 20 * DAY_MS, T - 15 * DAY_MS, T - 5 * DAY_MS

EXPECTED_LOGS = [
    log("DEPOSIT_BTC_dep-1", "BTC", "0.5", "Deposit", D1, "DEPOSIT_BTC_dep-1_TX"),
    log("DEPOSIT_USDT_dep-2", "USDT", "1000", "Deposit", D2, "DEPOSIT_USDT_dep-2_TX"),
    log("TRADE_BTCUSDT_101_BUY", "BTC", "0.01", "Buy", T101, "TRADE_BTCUSDT_101"),
    log("TRADE_BTCUSDT_101_FEE", "BTC", "-0.00001", "Fee", T101, "TRADE_BTCUSDT_101"),
    log("TRADE_BTCUSDT_101_SELL", "USDT", "-300.005", "Sell", T101, "TRADE_BTCUSDT_101"),
    log("TRADE_BTCUSDT_102_BUY", "USDT", "155", "Buy", T102, "TRADE_BTCUSDT_102"),
    log("TRADE_BTCUSDT_102_FEE", "USDT", "-0.155", "Fee", T102, "TRADE_BTCUSDT_102"),
    log("TRADE_BTCUSDT_102_SELL", "BTC", "-0.005", "Sell", T102, "TRADE_BTCUSDT_102"),
    log("TRADE_ETHBTC_7_BUY", "ETH", "0.1", "Buy", T7, "TRADE_ETHBTC_7"),
    log("TRADE_ETHBTC_7_FEE", "BNB", "-0.0001", "Fee", T7, "TRADE_ETHBTC_7"),
    log("TRADE_ETHBTC_7_SELL", "BTC", "-0.005", "Sell", T7, "TRADE_ETHBTC_7"),
    log("WITHDRAW_USDT_wd-1", "USDT", "-100", "Withdraw", W1, "WITHDRAW_USDT_wd-1_TX"),
    log("WITHDRAW_USDT_wd-1_FEE", "USDT", "-1", "Fee", W1, "WITHDRAW_USDT_wd-1_TX"),
]
EXPECTED_TRANSACTIONS = [
    transfer_tx("DEPOSIT_BTC_dep-1_TX", "Deposit", D1, "0.5", "BTC"),
    transfer_tx("DEPOSIT_USDT_dep-2_TX", "Deposit", D2, "1000", "USDT"),
    swap(
        "TRADE_BTCUSDT_101",
        T101,
        ("0.01", "BTC"),
        ("300.005", "USDT"),
        ("0.00001", "BTC"),
        "30000.5",
    ),
    swap(
        "TRADE_BTCUSDT_102",
        T102,
        ("155", "USDT"),
        ("0.005", "BTC"),
        ("0.155", "USDT"),
        "0.00003225806451612903",
    ),
    swap("TRADE_ETHBTC_7", T7, ("0.1", "ETH"), ("0.005", "BTC"), ("0.0001", "BNB"), "0.05"),
    {
        **transfer_tx("WITHDRAW_USDT_wd-1_TX", "Withdraw", W1, "100", "USDT"),
        "feeAsset": "ex.binance:USDT",
        "fee": "1",
    },
]
EXPECTED_BALANCES = {
    "ex.binance:BNB": "0.4999",
    "ex.binance:BTC": "0.50499",
    "ex.binance:ETH": "0.1",
    "ex.binance:USDT": "744.845",
}


def wire(result: SyncResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [entry.to_wire() for entry in result.logs], [
        entry.to_wire() for entry in result.transactions
    ]


async def test_a_first_sync_reads_the_whole_history(
    standin: BinanceStandin, harness: Harness
) -> None:
    result = await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert result.cursor == W1 + 1
    assert result.balances == EXPECTED_BALANCES
    assert harness.all_closed()
    # Only the markets of currencies held or moved; XRP (zero balance) and DOGE stay unasked.
    trade_queries = standin.control.requests_to("/api/v3/myTrades")
    assert sorted({q.query["symbol"] for q in trade_queries}) == [
        "BNBUSDT",
        "BTCUSDT",
        "ETHBTC",
        "ETHUSDT",
    ]
    assert all(q.query["fromId"] == "0" for q in trade_queries)
    assert harness.progress[0] == (5, "Loaded 6 Binance markets")
    assert harness.progress[-1] == (100, "Fetched 3 trades: 13 audit logs")


async def test_syncing_again_adds_nothing_and_asks_only_after_the_cursor(
    standin: BinanceStandin, harness: Harness
) -> None:
    source, spec = harness.source(), harness.spec(KEY, SECRET)
    first = await source.sync(spec, 0, harness.report)
    assert first.cursor is not None
    standin.control.clear()
    again = await source.sync(spec, first.cursor, harness.report)
    assert (again.logs, again.transactions, again.cursor) == ([], [], first.cursor)
    assert again.balances == EXPECTED_BALANCES
    history = [
        r
        for r in standin.control.requests
        if r.path in ("/api/v3/myTrades", "/sapi/v1/capital/deposit/hisrec")
        or r.path == "/sapi/v1/capital/withdraw/history"
    ]
    assert history
    assert all(int(r.query["startTime"]) >= first.cursor for r in history)
    assert harness.all_closed()


async def test_new_trades_and_deposits_arrive_on_the_next_sync(
    standin: BinanceStandin, harness: Harness
) -> None:
    source, spec = harness.source(), harness.spec(KEY, SECRET)
    first = await source.sync(spec, 0, harness.report)
    assert first.cursor == W1 + 1
    new_trade_at, new_deposit_at = T - HOUR_MS, T - 2 * HOUR_MS
    account_of(standin).trades.append(
        trade("BTCUSDT", 103, new_trade_at, True, "0.02000000", "32000.00", "0.00002", "BTC")
    )
    account_of(standin).deposits.append(
        BinanceDeposit("dep-3", "ETH", "2", "ETH", "0xin", "0xtxin3", new_deposit_at)
    )
    result = await source.sync(spec, first.cursor, harness.report)
    tx = "TRADE_BTCUSDT_103"
    assert wire(result) == (
        [
            log("DEPOSIT_ETH_dep-3", "ETH", "2", "Deposit", new_deposit_at, "DEPOSIT_ETH_dep-3_TX"),
            log(f"{tx}_BUY", "BTC", "0.02", "Buy", new_trade_at, tx),
            log(f"{tx}_FEE", "BTC", "-0.00002", "Fee", new_trade_at, tx),
            log(f"{tx}_SELL", "USDT", "-640", "Sell", new_trade_at, tx),
        ],
        [
            transfer_tx("DEPOSIT_ETH_dep-3_TX", "Deposit", new_deposit_at, "2", "ETH"),
            swap(tx, new_trade_at, ("0.02", "BTC"), ("640", "USDT"), ("0.00002", "BTC"), "32000"),
        ],
    )
    assert result.cursor == new_trade_at + 1


async def test_a_wrong_secret_is_a_clear_error_without_secrets(
    standin: BinanceStandin, harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = SECRET[::-1]
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, wrong), 0, harness.report)
    assert str(failure.value) == BAD_KEY_MESSAGE
    # A logged traceback shows only the SyncError, not the ccxt error with its request details.
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    assert harness.all_closed()
    # It failed at the first signed call, before reading any history.
    assert standin.control.paths() == ["/api/v3/exchangeInfo", "/api/v3/account"]
    assert_no_secret_logged(caplog, KEY, SECRET, wrong)


async def test_an_unknown_key_is_the_same_clear_error(harness: Harness) -> None:
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec("K" * 64, SECRET), 0, harness.report)
    assert str(failure.value) == BAD_KEY_MESSAGE


async def test_a_missing_key_fails_before_any_request(
    standin: BinanceStandin, harness: Harness
) -> None:
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, ""), 0, harness.report)
    assert str(failure.value) == "The Binance connection needs an API key and secret."
    assert standin.control.paths() == []


async def test_a_successful_sync_logs_no_secret(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert_no_secret_logged(caplog, KEY, SECRET)


def assert_no_secret_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    assert caplog.records, "expected some log records to scan"  # aiohttp/asyncio log at DEBUG
    for record in caplog.records:
        text = record.getMessage() + str(record.exc_info or "")
        assert not any(secret in text for secret in secrets), record.getMessage()[:200]


async def test_a_429_is_retried_after_retry_after(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.answer_429(1, retry_after=1)
    started = time.monotonic()
    result = await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 beats the 0.01 s backoff
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert standin.control.paths()[:3] == [
        "/api/v3/exchangeInfo",
        "/api/v3/exchangeInfo",
        "/api/v3/account",
    ]


async def test_rate_limiting_that_never_ends_gives_up(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.answer_429(10, retry_after=None)
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == (
        "Binance is rate limiting requests (still refused after 4 attempts). "
        "Try again in a few minutes."
    )
    assert standin.control.paths() == ["/api/v3/exchangeInfo"] * 4
    assert harness.all_closed()


async def test_an_exchange_outage_gives_up_after_retries(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.answer_status(10, 503)
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == (
        "Binance is unavailable right now (still failing after 4 attempts). Try again later."
    )


UNKNOWN_ERROR = '{"code":-1000,"msg":"An unknown error occurred while processing the request."}'


async def test_an_unknown_error_answered_with_a_500_is_retried(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.answer_raw(1, UNKNOWN_ERROR, status=500, path="/api/v3/account")
    result = await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert standin.control.paths()[:3] == [
        "/api/v3/exchangeInfo",
        "/api/v3/account",
        "/api/v3/account",
    ]


async def test_an_unknown_error_that_never_ends_gives_up(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.answer_raw(10, UNKNOWN_ERROR, status=500, path="/api/v3/account")
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == (
        f"Binance returned an error (still failing after 4 attempts): binance {UNKNOWN_ERROR}"
    )
    assert standin.control.paths() == ["/api/v3/exchangeInfo"] + ["/api/v3/account"] * 4
    assert harness.all_closed()


async def test_an_unreachable_exchange_is_a_clear_error() -> None:
    dead = unreachable_url()
    harness = Harness("binance", lambda exchange: configure_binance_for_standin(exchange, dead))
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == (
        "Could not reach Binance. Check the internet connection and try again."
    )
    assert harness.all_closed()


async def test_a_slow_exchange_times_out(standin: BinanceStandin, harness: Harness) -> None:
    standin.control.delay_seconds = 1.0
    with pytest.raises(SyncError) as failure:
        await harness.source(timeout_ms=200).sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == "Binance did not answer within 0.2 seconds."
    assert harness.all_closed()


async def test_a_skewed_clock_is_named(standin: BinanceStandin, harness: Harness) -> None:
    standin.clock_offset_ms = -30_000
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report)
    assert str(failure.value) == (
        "Binance rejected the request time. Check that this computer's clock is set correctly."
    )


async def test_a_cancelled_sync_still_closes_its_session(
    standin: BinanceStandin, harness: Harness
) -> None:
    standin.control.delay_seconds = 0.2
    task = asyncio.create_task(harness.source().sync(harness.spec(KEY, SECRET), 0, harness.report))
    await asyncio.sleep(0.5)  # past load_markets, inside the history requests
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)  # ccxt's close() waits 250 ms for in-flight requests
    assert harness.all_closed()
