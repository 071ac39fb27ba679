"""Binance Convert trades and small balances converted to BNB, synced through the real ccxt client
against the fake Binance API (signatures checked)."""

import itertools
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncError, SyncResult
from privatefolio_daemon.sources.exchanges.conversions import (
    DEFAULT_LOOKBACK_MS,
    DUST_HISTORY_START_MS,
    WINDOW_MS,
)
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import (
    BinanceAccount,
    BinanceConvert,
    BinanceDeposit,
    BinanceDribblet,
    DustDetail,
)

KEY = "Cq3RkT8sLw0VnB6yHc2JdF9gXm4PaE7uQi1oNt5rYs0Kb3Wv8Lh2Gj6Cx9Mz4Df2"
SECRET = "Vg7Yp2Kd9Qw4Lm1Xc8Vb3Nr6Hs0Jf5Az2Ue7Io4Pk9Ly1Mt3Gw8Rb6Dn0Sq5Fh2Ek"
CONNECTION = "conn-1"
T = now_ms() // 1000 * 1000
D1, D2 = T - 40 * DAY_MS, T - 39 * DAY_MS
C1, C2, C3, DUST = T - 35 * DAY_MS, T - 20 * DAY_MS, T - 3 * DAY_MS, T - 2 * DAY_MS
CONVERT_PATH, DUST_PATH = "/sapi/v1/convert/tradeFlow", "/sapi/v1/asset/dribblet"
BALANCES = {"BTC": "0.006", "ETH": "0.1", "USDT": "399.655", "BNB": "0.00058279"}


@pytest.fixture
def standin() -> BinanceStandin:
    """1000 USDT and 0.00123 ETH deposited; 600 USDT converted to 0.01 BTC, a failed Convert
    order, 0.004 BTC converted to 0.1 ETH; the ETH left and 0.345 USDT converted to BNB."""
    standin = BinanceStandin()
    for base, quote in [("BTC", "USDT"), ("ETH", "USDT"), ("ETH", "BTC"), ("BNB", "USDT")]:
        standin.add_market(base, quote)
    account = standin.add_account(KEY, SECRET)
    account.balances = {code: (free, "0") for code, free in BALANCES.items()}
    account.deposits = [
        BinanceDeposit("dep-1", "USDT", "1000", "ETH", "0xin", "0xtx1", D1),
        BinanceDeposit("dep-2", "ETH", "0.00123", "ETH", "0xin", "0xtx2", D2),
    ]
    account.converts = [
        BinanceConvert(901, "USDT", "600", "BTC", "0.01", C1),
        BinanceConvert(902, "USDT", "50", "ETH", "0.02", C2, status="FAIL"),
        BinanceConvert(903, "BTC", "0.004", "ETH", "0.1", C3),
    ]
    account.dribblets = [
        BinanceDribblet(
            77,
            DUST,
            (
                DustDetail("ETH", "0.00123", "0.00001968", "0.00000039"),
                DustDetail("USDT", "0.345", "0.000575", "0.0000115"),
            ),
        )
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


def log(tx: str, leg: str, asset: str, change: str, operation: str, at: int) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{tx}{leg}",
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
    price: str,
    fee: tuple[str, str] | None = None,
) -> dict[str, Any]:
    row = {
        "id": f"{CONNECTION}_{tx}",
        "incomingAsset": f"ex.binance:{incoming[1]}",
        "incoming": incoming[0],
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
    if fee is not None:
        row |= {"feeAsset": f"ex.binance:{fee[1]}", "fee": fee[0]}
    return row


def deposit(log_id: str, asset: str, amount: str, at: int) -> dict[str, Any]:
    return {**log(log_id, "", asset, amount, "Deposit", at), "txId": f"{CONNECTION}_{log_id}_TX"}


def deposit_tx(log_id: str, asset: str, amount: str, at: int) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{log_id}_TX",
        "incomingAsset": f"ex.binance:{asset}",
        "incoming": amount,
        "connectionId": CONNECTION,
        "importIndex": at,
        "platformId": "ex.binance",
        "timestamp": at,
        "type": "Deposit",
        "wallet": "Binance Spot",
        "metadata": {},
    }


EXPECTED_LOGS = [
    deposit("DEPOSIT_USDT_dep-1", "USDT", "1000", D1),
    deposit("DEPOSIT_ETH_dep-2", "ETH", "0.00123", D2),
    log("CONVERT_901", "_BUY", "BTC", "0.01", "Buy", C1),
    log("CONVERT_901", "_SELL", "USDT", "-600", "Sell", C1),
    log("CONVERT_903", "_BUY", "ETH", "0.1", "Buy", C3),
    log("CONVERT_903", "_SELL", "BTC", "-0.004", "Sell", C3),
    log("DUST_77_ETH", "_BUY", "BNB", "0.00001968", "Buy", DUST),
    log("DUST_77_ETH", "_FEE", "BNB", "-0.00000039", "Fee", DUST),
    log("DUST_77_ETH", "_SELL", "ETH", "-0.00123", "Sell", DUST),
    log("DUST_77_USDT", "_BUY", "BNB", "0.000575", "Buy", DUST),
    log("DUST_77_USDT", "_FEE", "BNB", "-0.0000115", "Fee", DUST),
    log("DUST_77_USDT", "_SELL", "USDT", "-0.345", "Sell", DUST),
]
EXPECTED_TRANSACTIONS = [
    deposit_tx("DEPOSIT_USDT_dep-1", "USDT", "1000", D1),
    deposit_tx("DEPOSIT_ETH_dep-2", "ETH", "0.00123", D2),
    swap("CONVERT_901", C1, ("0.01", "BTC"), ("600", "USDT"), "60000"),
    swap("CONVERT_903", C3, ("0.1", "ETH"), ("0.004", "BTC"), "0.04"),
    swap(
        "DUST_77_ETH",
        DUST,
        ("0.00001968", "BNB"),
        ("0.00123", "ETH"),
        "62.5",
        ("3.9e-7", "BNB"),  # big.js toString(), as a transaction's amounts are
    ),
    swap(
        "DUST_77_USDT",
        DUST,
        ("0.000575", "BNB"),
        ("0.345", "USDT"),
        "600",
        ("0.0000115", "BNB"),
    ),
]


def wire(result: SyncResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [entry.to_wire() for entry in result.logs], [
        entry.to_wire() for entry in result.transactions
    ]


def totals(result: SyncResult) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in result.logs:
        sums[entry.assetId] += Decimal(entry.change)
    return {asset: total for asset, total in sums.items() if total}


def windows(standin: BinanceStandin, path: str) -> list[tuple[int, int]]:
    return [
        (int(r.query["startTime"]), int(r.query["endTime"]))
        for r in standin.control.requests_to(path)
    ]


def assert_tiles(asked: list[tuple[int, int]], start: int, end: int) -> None:
    """Windows of at most 30 days, newest first, each asked once, covering start..end whole."""
    assert len(set(asked)) == len(asked)
    assert asked[0][1] == end and asked[-1][0] == start
    for (newer_start, _), (_, older_end) in itertools.pairwise(asked):
        assert older_end == newer_start - 1
    assert all(0 <= high - low <= WINDOW_MS for low, high in asked)


def spec(harness: Harness, **options: Any) -> ConnectionSpec:
    base = harness.spec(KEY, SECRET)
    return ConnectionSpec(base.id, base.extension_id, base.platform_id, None, KEY, SECRET, options)


async def test_convert_trades_and_dust_become_swaps_that_add_up_to_the_balances(
    standin: BinanceStandin, harness: Harness
) -> None:
    result = await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    expected = {f"ex.binance:{code}": Decimal(amount) for code, amount in BALANCES.items()}
    assert totals(result) == expected
    assert {asset: Decimal(value) for asset, value in (result.balances or {}).items()} == expected
    assert result.cursor == DUST + 1
    assert (None, "Fetched 2 Convert trades and 1 conversions of small balances to BNB") in (
        harness.progress
    )
    assert harness.all_closed()


async def test_a_resync_adds_nothing_and_asks_only_after_the_cursor(
    standin: BinanceStandin, harness: Harness
) -> None:
    source = harness.source(clock=lambda: T)
    first = await source.sync(spec(harness), 0, harness.report)
    assert first.cursor == DUST + 1
    standin.control.clear()
    again = await source.sync(spec(harness), first.cursor, harness.report)
    assert (again.logs, again.transactions, again.cursor) == ([], [], first.cursor)
    assert windows(standin, CONVERT_PATH) == [(first.cursor, T)]
    assert windows(standin, DUST_PATH) == [(first.cursor, T)]

    later = T + DAY_MS
    account_of(standin).converts.append(BinanceConvert(904, "ETH", "0.05", "USDT", "150", T))
    third = await harness.source(clock=lambda: later).sync(
        spec(harness), first.cursor, harness.report
    )
    assert wire(third) == (
        [
            log("CONVERT_904", "_BUY", "USDT", "150", "Buy", T),
            log("CONVERT_904", "_SELL", "ETH", "-0.05", "Sell", T),
        ],
        [swap("CONVERT_904", T, ("150", "USDT"), ("0.05", "ETH"), "0.00033333333333333333")],
    )
    assert third.cursor == T + 1


async def test_a_first_sync_walks_30_day_windows_back_two_years_each_once(
    standin: BinanceStandin, harness: Harness
) -> None:
    await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    start = T - DEFAULT_LOOKBACK_MS
    assert_tiles(windows(standin, CONVERT_PATH), start, T)
    assert len(windows(standin, CONVERT_PATH)) == 25  # 730 days in 30-day windows
    assert_tiles(windows(standin, DUST_PATH), start, T)


async def test_a_first_sync_goes_back_to_the_oldest_deposit_or_the_since_limit(
    standin: BinanceStandin, harness: Harness
) -> None:
    oldest = T - 800 * DAY_MS
    account_of(standin).deposits.append(
        BinanceDeposit("dep-0", "USDT", "1", "ETH", "0xin", "0xtx0", oldest)
    )
    account_of(standin).balances["USDT"] = ("400.655", "0")
    await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    assert_tiles(windows(standin, CONVERT_PATH), oldest, T)

    standin.control.clear()
    since = 1_575_158_400_000  # 2019-12-01: before the dust log begins
    await harness.source(clock=lambda: T).sync(spec(harness, sinceLimit=since), 0, harness.report)
    assert_tiles(windows(standin, CONVERT_PATH), since, T)
    assert_tiles(windows(standin, DUST_PATH), DUST_HISTORY_START_MS, T)


async def test_a_window_with_more_than_a_page_is_split(
    standin: BinanceStandin, harness: Harness
) -> None:
    account = account_of(standin)
    many = [BinanceConvert(5000 + i, "USDT", "1", "BTC", "0.00001", C2 + i) for i in range(1001)]
    account.converts.extend(many)
    account.deposits.append(BinanceDeposit("dep-9", "USDT", "1001", "ETH", "0xin", "0xtx9", D1))
    account.balances["BTC"] = ("0.01601", "0")
    result = await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    ids = {log.txId for log in result.logs if "_CONVERT_" in (log.txId or "")}
    assert len(ids) == 1003
    expected = {f"ex.binance:{code}": Decimal(free) for code, (free, _) in account.balances.items()}
    assert totals(result) == expected


async def test_a_refused_history_is_a_task_log_line_not_a_failed_sync(
    standin: BinanceStandin, harness: Harness
) -> None:
    account_of(standin).refusals[CONVERT_PATH] = (400, -1002, "You don't have permission.")
    result = await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    assert not [log for log in result.logs if "_CONVERT_" in log.id]
    assert len([log for log in result.logs if "_DUST_" in log.id]) == 6
    assert (
        None,
        "Could not read the Binance Convert trades (so balances they changed may be off): "
        "The Binance API key lacks a permission this sync needs. Allow the key to read the "
        "account and try again. Later syncs read only what is newer; to read them, save the "
        "connection again with the same API key, which makes the next sync read everything "
        "again.",
    ) in harness.progress
    assert len(standin.control.requests_to(CONVERT_PATH)) == 1  # the walk stopped there


async def test_a_rejected_key_on_these_endpoints_fails_the_sync(
    standin: BinanceStandin, harness: Harness
) -> None:
    refusal = (400, -1022, "Signature for this request is not valid.")
    account_of(standin).refusals[DUST_PATH] = refusal
    with pytest.raises(SyncError) as failure:
        await harness.source(clock=lambda: T).sync(spec(harness), 0, harness.report)
    assert str(failure.value) == (
        "Binance rejected the API key or secret. Check that both were copied correctly "
        "and that the key is still active."
    )
    assert harness.all_closed()
