"""A transaction dated tomorrow (UTC), which the ledger takes: in Asia in the morning the user's
today is tomorrow in UTC. Its day has balances but no price yet, and is valued at today's prices
until it has its own."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.api.derived import networth, wait_for_side_effects
from tests.api.importing import import_file
from tests.api.test_generic_fund_prices import HEADER
from tests.api.test_price_fetch import DAY0, TODAY, Standins, main, standins

__all__ = ["main", "standins"]  # the fixtures

TOMORROW = TODAY + DAY_MS
AAPL_TODAY = {"time": TODAY // 1000, "value": 156.0, "open": 155.0, "high": 157.0, "low": 154.0}
AAPL_TODAY |= {"close": 156.0, "volume": 1005.0}  # the stand-in's candle of today
USD_TODAY = {"time": TODAY // 1000, "value": 1.0}


def date(day: int) -> str:
    return datetime.fromtimestamp(day / 1000, UTC).strftime("%Y-%m-%d")


async def chain_after(client: DaemonClient, task_id: int) -> None:
    """Wait for the refresh chain that the task (or call) with id ``task_id`` set off."""
    for _ in range(600):
        if any(t["id"] > task_id for t in await wait_for_side_effects(client)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no refresh chain followed")


async def bought_tomorrow(daemon: Daemon, client: DaemonClient) -> None:
    """5,000 USD paid in on DAY0, and 1 AAPL bought for 100 USD tomorrow."""
    rows = [
        f"{date(DAY0)},deposit,USD,fiat,5000,,,,,Broker,",
        f"{date(TOMORROW)},buy,AAPL,stock,1,100,USD,,,Broker,bought this morning (local time)",
    ]
    content = (HEADER + "\n".join(rows) + "\n").encode()
    task = await import_file(daemon, client, "tomorrow.csv", content)
    assert task["status"] == "completed"
    await chain_after(client, task["id"])


async def test_a_buy_dated_tomorrow_is_valued_at_todays_prices(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await bought_tomorrow(daemon, main)

    assert (await main.call("getNetworth", "main"))[-2:] == [
        networth(TODAY, 5000, 0, 0),
        networth(TOMORROW, 5056, 56, 1.12),  # 4,900 USD and 1 AAPL at today's 156
    ]
    assert await main.call("getBalancesAt", "main") == [
        balance("fiat:USD", "4900", USD_TODAY, 4900),
        balance("stock:AAPL", "1", AAPL_TODAY, 156),
    ]
    assert (await main.call("getBreakdownChartData", "main", "1d"))[-1] == {
        "time": TOMORROW // 1000,
        "assets": ["USD", "AAPL"],
        "values": [4900, 156],
    }
    assert (await main.call("getNetworthCandles", "main", "1d"))[-1]["close"] == 5056
    assert await main.call("getAssetPriceMap", "main", TOMORROW) == {
        "USDT": {"time": TOMORROW // 1000, "value": 1},
        "fiat:USD": USD_TODAY,
        "stock:AAPL": AAPL_TODAY,
    }
    [trade] = await main.call("getTrades", "main")
    assert trade["cost"][0][:4] == ["fiat:USD", "-100", "-100", "1"]
    pnl = await main.call("getTradePnL", "main", trade["id"])
    assert [(row["timestamp"], row["positionValue"], row["pnl"]) for row in pnl] == [
        (TODAY, "0", "0"),
        (TOMORROW, "156", "56"),
    ]
    assert (await main.call("getAccountPnL", "main"))[-1]["pnl"] == "56"


async def test_tomorrows_own_price_values_it_over_todays(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """As when the day has come and the fetch stores its prices."""
    await bought_tomorrow(daemon, main)
    tasks = await main.call("getServerTasks", "main")

    await main.call(
        "executeSql",
        "main",
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        f"VALUES ('stock:AAPL_{TOMORROW}', 'stock:AAPL', {TOMORROW}, "
        f"'{{\"time\": {TOMORROW // 1000}, \"value\": 200}}', 'AAPL', 'yahoo')",
    )
    await chain_after(main, max(task["id"] for task in tasks))

    assert (await main.call("getNetworth", "main"))[-1] == networth(TOMORROW, 5100, 100, 2)
    aapl = (await main.call("getBalancesAt", "main"))[1]
    assert (aapl["price"], aapl["value"]) == ({"time": TOMORROW // 1000, "value": 200}, 200)
    [trade] = await main.call("getTrades", "main")
    assert (await main.call("getTradePnL", "main", trade["id"]))[-1]["pnl"] == "100"


async def test_cash_first_paid_in_tomorrow_is_priced_from_today(main: DaemonClient) -> None:
    deposit = {
        "type": "Deposit",
        "timestamp": TOMORROW,
        "wallet": "Bank",
        "platformId": "app.manual",
        "incoming": "500",
        "incomingAsset": "fiat:USD",
    }
    await main.call("addTransaction", deposit, "main")
    await chain_after(main, 0)

    assert await main.call("getPricesForAsset", "main", "fiat:USD") == [USD_TODAY]
    assert await main.call("getNetworth", "main") == [
        networth(TODAY, 0, 0, 0),
        networth(TOMORROW, 500, 500, 0),
    ]


async def test_no_live_price_comes_past_today(main: DaemonClient) -> None:
    live = await main.call("getLivePricesForAsset", "fiat:USD", None, 3, "1d", None, TOMORROW)

    assert live == [{"time": (TODAY - DAY_MS) // 1000, "value": 1.0}, USD_TODAY]


def balance(asset_id: str, amount: str, price: dict[str, Any], value: float) -> dict[str, Any]:
    """A row of ``getBalancesAt`` for tomorrow."""
    return {
        "assetId": asset_id,
        "balance": amount,
        "balanceN": float(amount),
        "id": f"{TOMORROW}_{asset_id}",
        "price": price,
        "value": value,
    }
