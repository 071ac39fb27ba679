"""Prices that arrive (or go) after the net worth and the trades were computed: the daemon values
those days again by itself, and the result equals a recompute."""

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.derived import FINAL, networth, price_settings, task_log
from tests.api.importing import wait_for_task
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin
from tests.standins.exchanges.binance_records import synthetic_daily_candles
from tests.writer_trap import cancel_on_writer

BTC, ETH = "ex.binance:BTC", "ex.binance:ETH"
TODAY = day_start(now_ms())
DAY0 = TODAY - 5 * DAY_MS
DAYS = [DAY0 + i * DAY_MS for i in range(6)]  # DAY0 … today
# Stand-in closes: BTC 101 + i and ETH 2001 + i on day i. BTC: 2 held on days 0 and 1, then sold
# out on day 2 (a closed trade); ETH: 1 held from day 0 on (an open trade).
VALUES = [2 * 101 + 2001, 2 * 102 + 2002, 2003, 2004, 2005, 2006]


@pytest.fixture
def binance() -> BinanceStandin:
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    standin.add_market("ETH", "USDT")
    standin.set_daily_candles("BTCUSDT", synthetic_daily_candles(DAY0, 6))
    standin.set_daily_candles("ETHUSDT", synthetic_daily_candles(DAY0, 6, start_price=2000))
    return standin


@pytest.fixture
async def main(
    daemon: Daemon, client: DaemonClient, binance: BinanceStandin
) -> AsyncIterator[DaemonClient]:
    with serve_in_thread(binance.app()) as url:
        daemon.price_settings = price_settings(exchanges={"binance": url}, timeout_s=1.0)
        await client.call("createAccount", "main")
        await ledger_valued_without_prices(daemon)
        yield client


async def ledger_valued_without_prices(daemon: Daemon) -> None:
    """The ledger, its balances, net worth, trades and PnL, all computed before any price."""
    db = daemon.accounts.get("main")
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, ?, 'Spot')",
        [
            ("l1", BTC, "2", "Deposit", DAY0 + 1000, "t1"),
            ("l2", ETH, "1", "Deposit", DAY0 + 2000, "t2"),
            ("l3", BTC, "-2", "Withdraw", DAYS[2] + 1000, "t3"),
        ],
    )
    await db.execute_many(
        "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
        "platformId, timestamp, type, wallet) VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
        [
            ("t1", BTC, "2", None, None, DAY0 + 1000, "Deposit"),
            ("t2", ETH, "1", None, None, DAY0 + 2000, "Deposit"),
            ("t3", None, None, BTC, "2", DAYS[2] + 1000, "Withdraw"),
        ],
    )
    derived, never = daemon.derived, CancelToken()
    await derived.balances("main").recompute(lambda *_: None, never, until=TODAY)
    await derived.networth("main").recompute(lambda *_: None, never)
    assert daemon.features is not None
    await daemon.features.trades("main").recompute(lambda *_: None, never)


async def run(client: DaemonClient, method: str) -> list[dict[str, Any]]:
    """Queue ``method`` and wait for it and for every task it caused."""
    task_id = await client.call(method, "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    return await run_after(client, task_id)


async def run_after(client: DaemonClient, task_id: int) -> list[dict[str, Any]]:
    """Wait for every task ``task_id`` caused; returns them."""
    while True:
        tasks = await client.call("getServerTasks", "main")
        if all(task["status"] in FINAL for task in tasks):
            return sorted((task for task in tasks if task["id"] > task_id), key=lambda t: t["id"])


async def pnl_of_every_trade(client: DaemonClient) -> dict[str, list[dict[str, Any]]]:
    trades = await client.call("getTrades", "main")
    return {trade["id"]: await client.call("getTradePnL", "main", trade["id"]) for trade in trades}


async def test_prices_fetched_later_value_the_past_days_again(main: DaemonClient) -> None:
    assert {row["value"] for row in await main.call("getNetworth", "main")} == {0}
    kv_events: list[Any] = []
    await main.call("subscribeToKV", "main", "networthCursor", kv_events.append)

    followed = await run(main, "enqueueFetchPrices")

    assert [(task["name"], task["trigger"], task["status"]) for task in followed] == [
        ("Refresh networth", "side-effect", "completed"),
        ("Refresh trades", "side-effect", "completed"),
    ]
    assert kv_events == [DAY0 - DAY_MS, TODAY]  # lowered to the day before the first price
    rows = await main.call("getNetworth", "main")
    assert [(row["timestamp"], row["value"]) for row in rows] == [
        (DAY0 - DAY_MS, 0),
        *zip(DAYS, VALUES, strict=True),
    ]
    assert rows[2] == networth(DAYS[1], 2206, 3, 0.14)
    assert rows[3] == networth(DAYS[2], 2003, -203, -9.2)
    closed_btc_trade = next(t for t in await main.call("getTrades", "main") if t["assetId"] == BTC)
    btc_pnl = await main.call("getTradePnL", "main", closed_btc_trade["id"])
    assert [(row["timestamp"], row["positionValue"]) for row in btc_pnl][1:3] == [
        (DAY0, "202"),
        (DAYS[1], "204"),
    ]

    revalued = (rows, await pnl_of_every_trade(main))
    await run(main, "enqueueRecomputeNetworth")
    await run(main, "enqueueRecomputeTrades")
    assert (await main.call("getNetworth", "main"), await pnl_of_every_trade(main)) == revalued


async def test_a_fetch_cancelled_as_it_saves_prices_revalues_the_days_of_what_it_saved(
    main: DaemonClient, daemon: Daemon
) -> None:
    """The fetch stops (aborted), but the prices it saved are told of, so the net worth and the
    trades are valued again with them."""
    async with cancel_on_writer(daemon, main, "main", after="INTO daily_prices") as trap:
        task_id = await main.call("enqueueFetchPrices", "main", "user")
        task = await wait_for_task(main, task_id)
    assert trap.cancelled == task_id
    assert (task["status"], task["errorMessage"]) == ("aborted", "Task aborted by user.")

    followed = await run_after(main, task_id)

    assert [(task["name"], task["trigger"], task["status"]) for task in followed] == [
        ("Refresh networth", "side-effect", "completed"),
        ("Refresh trades", "side-effect", "completed"),
    ]
    assert {row["value"] for row in await main.call("getNetworth", "main")} != {0}


async def test_a_fetch_that_changes_no_price_queues_nothing(main: DaemonClient) -> None:
    await run(main, "enqueueFetchPrices")
    before = await main.call("getNetworth", "main")

    assert await run(main, "enqueueFetchPrices") == []  # today's candle again, the same
    assert await main.call("getNetworth", "main") == before


async def test_todays_price_moving_revalues_from_yesterday(
    main: DaemonClient, binance: BinanceStandin
) -> None:
    await run(main, "enqueueFetchPrices")
    trades = await main.call("getTrades", "main")
    moved = synthetic_daily_candles(DAY0, 6, start_price=2000)
    moved[-1] = dataclasses.replace(moved[-1], close="2100.00")
    binance.set_daily_candles("ETHUSDT", moved)

    followed = await run(main, "enqueueFetchPrices")

    assert [task["name"] for task in followed] == ["Refresh networth", "Refresh trades"]
    networth_log = await task_log(main, followed[0]["id"])
    assert networth_log[0] == [5, "Computing networth for 2 days"]
    assert (await main.call("getNetworth", "main"))[-1] == networth(TODAY, 2100, 95, 4.74)
    assert await main.call("getTrades", "main") == trades  # the trades themselves stay
    open_eth_trade = next(t for t in trades if t["assetId"] == ETH)
    eth_pnl = await main.call("getTradePnL", "main", open_eth_trade["id"])
    assert (eth_pnl[-1]["timestamp"], eth_pnl[-1]["positionValue"]) == (TODAY, "2100")


async def test_a_price_changed_after_refreshes_that_failed_revalues_the_days_again(
    main: DaemonClient, daemon: Daemon, binance: BinanceStandin
) -> None:
    """A fetch lowered the cursors, and the refreshes failed (an older version stored a price of
    1e308, on which both failed): they stay low, with the rows computed before. A later fetch that
    changes a price on those days must value them again, though it lowers no cursor."""
    await run(main, "enqueueFetchPrices")
    db = daemon.accounts.get("main")
    await db.execute_many(
        "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)",
        [("networthCursor", DAY0), ("tradePnlStaleFrom", DAY0)],
    )
    moved = synthetic_daily_candles(DAY0, 6, start_price=2000)
    moved[-1] = dataclasses.replace(moved[-1], close="2100.00")
    binance.set_daily_candles("ETHUSDT", moved)

    followed = await run(main, "enqueueFetchPrices")

    assert [task["name"] for task in followed] == ["Refresh networth", "Refresh trades"]
    assert (await main.call("getNetworth", "main"))[-1] == networth(TODAY, 2100, 95, 4.74)


async def test_deleted_prices_leave_the_net_worth_unpriced(main: DaemonClient) -> None:
    await run(main, "enqueueFetchPrices")
    prices_events: list[Any] = []
    await main.call("subscribeToDailyPrices", "main", lambda *args: prices_events.append(args))

    followed = await run(main, "enqueueDeleteAssetPrices")

    assert prices_events == [()]
    assert [task["name"] for task in followed] == ["Refresh networth", "Refresh trades"]
    assert {row["value"] for row in await main.call("getNetworth", "main")} == {0}
    unpriced = await pnl_of_every_trade(main)
    await run(main, "enqueueRecomputeTrades")
    assert await pnl_of_every_trade(main) == unpriced


async def test_prices_before_any_valuation_queue_nothing_more(
    daemon: Daemon, client: DaemonClient
) -> None:
    binance = BinanceStandin()
    binance.add_market("BTC", "USDT")
    binance.set_daily_candles("BTCUSDT", synthetic_daily_candles(DAY0, 6))
    with serve_in_thread(binance.app()) as url:
        daemon.price_settings = price_settings(exchanges={"binance": url}, timeout_s=1.0)
        await client.call("createAccount", "main")
        await daemon.accounts.get("main").execute(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES ('l1', ?, '1', 0, 'Deposit', 'ex.binance', ?, 'Spot')",
            (BTC, DAY0 + 1000),
        )

        assert await run(client, "enqueueFetchPrices") == []
    assert await client.call("getValue", "main", "networthCursor") is None
