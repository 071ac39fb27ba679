"""Net worth through the daemon: known balances and prices give exact values, changes and
candles."""

import asyncio
from functools import partial
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.derived import account_with_prices, networth, task_log
from tests.api.importing import wait_for_task

FEB_22 = 1613952000000  # a Monday
FEB_26 = 1614297600000  # a 3-day bucket starts here (days since 1970 divisible by 3)
FEB_28 = 1614470400000
MAR_01 = 1614556800000  # a Monday
MAR_02, MAR_03, MAR_04 = MAR_01 + DAY_MS, MAR_01 + 2 * DAY_MS, MAR_01 + 3 * DAY_MS
FEB_01 = 1612137600000

LOGS = [
    ("a", "ex.binance:BTC", "0.5", MAR_01 + 1000),
    ("b", "ex.binance:ETH", "2", MAR_01 + 2000),
    ("c", "ex.binance:BTC", "0.25", MAR_02 + 1000),
    ("d", "ex.binance:ETH", "-1", MAR_04 + 1000),
]
PRICES = [
    ("ex.binance:BTC", MAR_01, 100.005),  # 0.5 × 100.005 = 50.0025, which rounds to 50
    ("ex.binance:ETH", MAR_01, 10),
    ("ex.binance:BTC", MAR_02, 200),
    ("ex.binance:ETH", MAR_02, 10.5),
    ("ex.binance:BTC", MAR_03, 200),
    ("ex.binance:BTC", MAR_04, 300),
    ("ex.binance:ETH", MAR_04, 11),
]


EXPECTED = [
    networth(FEB_28, 0, 0, 0),
    networth(MAR_01, 70, 70, 0),
    networth(MAR_02, 171, 101, 144.29),
    networth(MAR_03, 150, -21, -12.28),
    networth(MAR_04, 236, 86, 57.33),
]


def candle(day: int, open_: float, high: float, low: float, close: float) -> dict[str, Any]:
    return {
        "time": day // 1000,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "value": close,
    }


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> DaemonClient:
    db = await account_with_prices(daemon, client, PRICES)
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'ex.binance', ?, 'Spot')",
        LOGS,
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=MAR_04)
    return client


async def refresh(client: DaemonClient, method: str = "enqueueRefreshNetworth") -> int:
    task_id = await client.call(method, "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    return int(task_id)


async def test_values_changes_and_percentages_are_exact(main: DaemonClient) -> None:
    events: list[Any] = []
    await main.call("subscribeToNetworth", "main", lambda *args: events.append(args))

    task_id = await refresh(main)

    assert await main.call("getNetworth", "main") == EXPECTED
    assert await task_log(main, task_id) == [
        [5, "Computing networth for 5 days"],
        [10, "Computing networth starting Feb 28, 2021"],
        [95, "Saving 5 records to the database"],
        [99, "Setting networth cursor to Mar 04, 2021"],
    ]
    assert await main.call("getValue", "main", "networthCursor") == MAR_04
    assert events == [()]
    assert await main.call(
        "getNetworth", "main", "SELECT * FROM networth WHERE value > 100 ORDER BY value DESC"
    ) == [EXPECTED[4], EXPECTED[2], EXPECTED[3]]


async def test_a_refresh_starts_at_the_cursor_day_and_a_recompute_at_the_first(
    main: DaemonClient,
) -> None:
    await refresh(main)

    task_id = await refresh(main)

    # The cursor day's change is against the stored day before it. (Privatefolio gives the first
    # row of every run change 0, which would make this row networth(MAR_04, 236, 0, 0).)
    assert await main.call("getNetworth", "main") == EXPECTED
    assert (await task_log(main, task_id))[0] == [5, "Computing networth for 1 days"]
    assert await main.call("getValue", "main", "networthCursor") == MAR_04
    await refresh(main, "enqueueRecomputeNetworth")
    assert await main.call("getNetworth", "main") == EXPECTED


async def test_candles_per_day_three_days_week_and_month(main: DaemonClient) -> None:
    await refresh(main)

    assert await main.call("getNetworthCandles", "main", "1d") == [
        candle(row["timestamp"], row["value"], row["value"], row["value"], row["value"])
        for row in EXPECTED
    ]
    assert await main.call("getNetworthCandles", "main", "3d") == [
        candle(FEB_26, 0, 0, 0, 0),
        candle(MAR_01, 70, 171, 70, 150),
        candle(MAR_04, 236, 236, 236, 236),
    ]
    assert await main.call("getNetworthCandles", "main", "1w") == [
        candle(FEB_22, 0, 0, 0, 0),
        candle(MAR_01, 70, 236, 70, 236),
    ]
    assert await main.call("getNetworthCandles", "main", "1m") == [
        candle(FEB_01, 0, 0, 0, 0),
        candle(MAR_01, 70, 236, 70, 236),
    ]
    with pytest.raises(Exception, match="interval"):
        await main.call("getNetworthCandles", "main", "2d")


async def test_breakdown_per_asset_and_day(main: DaemonClient) -> None:
    await refresh(main)

    daily = await main.call("getBreakdownChartData", "main", "1d")

    assert daily == [
        {"time": FEB_28 // 1000, "assets": ["BTC", "ETH"], "values": [0, 0]},
        {"time": MAR_01 // 1000, "assets": ["BTC", "ETH"], "values": [50, 20]},
        {"time": MAR_02 // 1000, "assets": ["BTC", "ETH"], "values": [150, 21]},
        {"time": MAR_03 // 1000, "assets": ["BTC", "ETH"], "values": [150, 0]},  # no ETH price
        {"time": MAR_04 // 1000, "assets": ["BTC", "ETH"], "values": [225, 11]},
    ]
    assert [sum(row["values"]) for row in daily] == [row["value"] for row in EXPECTED]
    mondays = await main.call("getBreakdownChartData", "main", "1w")
    assert mondays == [daily[1]]
    assert await main.call("getBreakdownChartData", "main", "1m") == [daily[1]]


async def test_net_worth_and_balances_deleted_by_a_ledger_change_call_back_with_nothing(
    main: DaemonClient,
) -> None:
    """rpc-methods.md §2: ``subscribeToNetworth`` calls ``cb()``, and the balances channel's
    events carry nothing either, whatever changed the rows: here an earlier deposit, after
    which the rows from its day on are deleted until the refresh that follows."""
    await refresh(main)
    loop = asyncio.get_running_loop()
    first: dict[str, asyncio.Future[tuple[Any, ...]]] = {
        "subscribeToNetworth": loop.create_future(),
        "subscribeToBalances": loop.create_future(),
    }
    for method, future in first.items():
        await main.call(method, "main", partial(_first_call, future))

    deposit = {"type": "Deposit", "timestamp": MAR_02 + 5000, "platformId": "ex.binance"}
    deposit |= {"wallet": "Spot", "incoming": "1", "incomingAsset": "ex.binance:BTC"}
    await main.call("addTransaction", deposit, "main")

    assert await asyncio.wait_for(asyncio.gather(*first.values()), 30) == [(), ()]


def _first_call(future: "asyncio.Future[tuple[Any, ...]]", *args: Any) -> None:
    if not future.done():
        future.set_result(args)
