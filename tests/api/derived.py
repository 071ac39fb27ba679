"""Helpers for the derived-data tests: offline price settings and waiting for the side effects."""

import asyncio
import json
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.prices.price_settings import PriceSettings
from privatefolio_daemon.store.database import Database
from tests.standins.exchanges.control import unreachable_url

FINAL = ("completed", "failed", "aborted", "cancelled")


def price_settings(
    *,
    yahoo: str | None = None,
    defillama: str | None = None,
    tefas: str | None = None,
    exchanges: dict[str, str] | None = None,
    timeout_s: float = 2.0,
    max_retries: int = 0,
) -> PriceFetchSettings:
    """Every provider at a stand-in when given, else at a loopback port where nothing listens."""
    dead = unreachable_url()
    providers = PriceSettings(
        yahoo_url=yahoo or dead,
        defillama_url=defillama or dead,
        tefas_url=tefas or dead,
        timeout_s=timeout_s,
        max_retries=max_retries,
        requests_per_second_per_host=1000.0,
        burst_per_host=1000,
        ccxt_timeout_ms=int(timeout_s * 1000),
    )
    urls = {"binance": dead, "coinbase": dead} | (exchanges or {})
    return PriceFetchSettings(
        providers=providers, exchange_api_urls=urls, exchange_retry_delays=(0.01, 0.01)
    )


async def account_with_prices(
    daemon: Daemon, client: DaemonClient, prices: list[tuple[str, int, float]]
) -> Database:
    """Account "main" with stand-in price settings and ``(assetId, day, price)`` daily prices."""
    daemon.price_settings = price_settings()
    await client.call("createAccount", "main")
    db = daemon.accounts.get("main")
    await db.execute_many(
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES (?, ?, ?, ?, 'X', 'binance')",
        [
            (f"{asset}_{day}", asset, day, json.dumps({"time": day // 1000, "value": value}))
            for asset, day, value in prices
        ],
    )
    return db


async def wait_for_side_effects(
    client: DaemonClient, account: str = "main", timeout: float = 30
) -> list[dict[str, Any]]:
    """Wait until the side-effect chain was queued and every task of the account has ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        tasks = await client.call("getServerTasks", account)
        chained = any(task["trigger"] == "side-effect" for task in tasks)
        if chained and all(task["status"] in FINAL for task in tasks):
            return list(tasks)
        await asyncio.sleep(0.05)
    raise AssertionError("the side-effect chain did not finish")


async def task_log(client: DaemonClient, task_id: int, account: str = "main") -> list[Any]:
    """The progress updates of a task as ``[percent, message]`` lists, after "Starting task"."""
    text = await client.call("getServerTaskLog", account, task_id)
    lines = [json.loads(line[25:]) for line in text.splitlines()]
    return [line for line in lines if line != [None, "Starting task"]]


def networth(day: int, value: float, change: float, percentage: float) -> dict[str, Any]:
    """A net worth row as ``getNetworth`` returns it."""
    return {
        "timestamp": day,
        "time": day // 1000,
        "value": value,
        "change": change,
        "changePercentage": percentage,
    }
