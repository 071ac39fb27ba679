"""Coins priced by Coinbase, the first exchange asked: a coin Coinbase listed after it was first
owned gets the whole history Coinbase has, up to today, and today's net worth counts it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date, now_ms
from tests.api.derived import price_settings, task_log, wait_for_side_effects
from tests.api.importing import import_file
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance_records import synthetic_daily_candles
from tests.standins.exchanges.coinbase import CoinbaseStandin

TODAY = day_start(now_ms())
HEADER = "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes\n"


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> AsyncIterator[DaemonClient]:
    """Coinbase lists NEW 100 days ago and MID 400 days ago; Binance cannot be reached."""
    coinbase = CoinbaseStandin()
    coinbase.add_currency("USD", "US Dollar", fiat=True)
    for ticker, listed, price in (("NEW", 100, 10), ("MID", 400, 1000)):
        coinbase.add_currency(ticker, ticker.capitalize())
        coinbase.add_product(ticker, "USD")
        candles = synthetic_daily_candles(TODAY - listed * DAY_MS, listed + 1, start_price=price)
        coinbase.set_daily_candles(f"{ticker}-USD", candles)
    with serve_in_thread(coinbase.app()) as url:
        daemon.price_settings = price_settings(exchanges={"coinbase": url}, timeout_s=2.0)
        await client.call("createAccount", "main")
        yield client


def csv_day(day: int) -> str:
    return datetime.fromtimestamp(day / 1000, UTC).strftime("%Y-%m-%d")


async def import_and_price(daemon: Daemon, client: DaemonClient, *rows: str) -> list[Any]:
    """Import the rows; returns the log of the price fetch the import set off."""
    task = await import_file(daemon, client, "coins.csv", (HEADER + "".join(rows)).encode())
    assert task["status"] == "completed"
    for _ in range(600):  # until the chain the import sets off has run
        tasks = await wait_for_side_effects(client)
        fetches = [t for t in tasks if t["name"] == "Fetch asset prices" and t["id"] > task["id"]]
        if fetches:
            return await task_log(client, fetches[0]["id"])
        await asyncio.sleep(0.05)
    raise AssertionError("the import set off no price fetch")


async def test_coins_listed_after_they_were_first_owned_are_priced_up_to_today(
    daemon: Daemon, main: DaemonClient
) -> None:
    lines = await import_and_price(
        daemon,
        main,
        f"{csv_day(TODAY - 500 * DAY_MS)},deposit,NEW,crypto,100,,,,,Wallet,\n",
        f"{csv_day(TODAY - 450 * DAY_MS)},deposit,MID,crypto,100,,,,,Wallet,\n",
    )

    today = human_date(TODAY)
    assert [
        None,
        f"Fetched MID using Coinbase from {human_date(TODAY - 400 * DAY_MS)} to {today}",
    ] in lines
    assert [
        None,
        f"Fetched NEW using Coinbase from {human_date(TODAY - 100 * DAY_MS)} to {today}",
    ] in lines
    new = await main.call("getPricesForAsset", "main", "crypto:NEW")
    assert (len(new), new[-1]["time"], new[-1]["value"]) == (101, TODAY // 1000, 111.0)
    mid = await main.call("getPricesForAsset", "main", "crypto:MID")
    assert (len(mid), mid[-1]["time"], mid[-1]["value"]) == (401, TODAY // 1000, 1401.0)
    networth = await main.call("getNetworth", "main")
    assert networth[-1]["time"] == TODAY // 1000
    assert networth[-1]["value"] == 100 * 111.0 + 100 * 1401.0
