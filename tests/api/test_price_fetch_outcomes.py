"""How a "Fetch asset prices" run ends when assets fail: a run that fetched some says last how
many failed and which; one that fetched none fails, naming how many failed and the first error,
in the task list and, for a fetch the daemon started itself, in a notification."""

import asyncio
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.derived import task_log, wait_for_side_effects
from tests.api.test_price_fetch import Standins, fetch, fetched, main, own, standins, stored

__all__ = ["main", "standins"]  # the fixtures

NO_DATA = "HTTP 404: Not Found: No data found, symbol may be delisted"
TEFAS_MALFORMED = "TEFAS: malformed response: no data list (asset fund.tefas:TI2)"
ALL_FAILED = (
    "Error: Could not fetch prices for any asset: 2 of 3 failed, 1 skipped; the first error: "
    f"TI2: {TEFAS_MALFORMED}"
)


async def test_a_fetch_where_every_asset_fails_fails_with_the_first_error(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await own(daemon, "chain.ethereum:0x1:SPAM", "fund.tefas:TI2", "stock:NOPE")
    standins.tefas.malformed_body = b'{"draw": 0, "data": "nope"}'

    task, lines = await fetch(main)

    assert (task["status"], task["errorMessage"]) == ("failed", ALL_FAILED)
    assert sorted(lines[2:-2], key=str) == [
        [None, f"Could not fetch prices of NOPE: Yahoo Finance: {NO_DATA} (asset stock:NOPE)"],
        [None, f"Could not fetch prices of TI2: {TEFAS_MALFORMED}"],
        [None, "Skipped SPAM: No coingeckoId"],
    ]
    assert lines[-2:] == [[100], [None, ALL_FAILED]]
    assert await stored(daemon, "fund.tefas:TI2") == []


async def test_a_fetch_that_fetched_some_assets_says_last_which_failed(
    daemon: Daemon, main: DaemonClient
) -> None:
    missing = [f"stock:GONE{i}" for i in range(1, 8)]
    await own(daemon, "stock:AAPL", *missing)

    task, lines = await fetch(main)

    assert (task["status"], task.get("errorMessage")) == ("completed", None)
    assert fetched("AAPL", "Yahoo Finance") in lines
    assert lines[-1] == [
        None,
        "Fetched prices for 1 of 8 assets; 7 failed: GONE1, GONE2, GONE3, GONE4, GONE5 and 2 more",
    ]
    assert len(await stored(daemon, "stock:AAPL")) == 6


async def chained_fetch(client: DaemonClient, after: int = 0) -> dict[str, Any]:
    """The "Fetch asset prices" the side-effect chain ran after task ``after``, once every task
    has ended."""
    for _ in range(1500):
        tasks = await wait_for_side_effects(client)
        fetches = [t for t in tasks if t["name"] == "Fetch asset prices" and t["id"] > after]
        if fetches:
            return dict(fetches[0])
        await asyncio.sleep(0.02)
    raise AssertionError("the side-effect chain fetched no prices")


async def test_a_fetch_of_the_refresh_chain_ends_the_same_ways(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """Choosing a price source queues the fetch as a side effect: the user sees a failed one in
    the notifications too."""
    await own(daemon, "stock:AAPL", "stock:NOPE")

    await main.call("patchAsset", "main", "stock:AAPL", {"priceApiId": "yahoo"})
    task = await chained_fetch(main)

    assert task["status"] == "completed"
    assert (await task_log(main, task["id"]))[-1] == [
        None,
        "Fetched prices for 1 of 2 assets; 1 failed: NOPE",
    ]

    standins.yahoo.malformed_body = b'{"chart": {"result": "nope"}}'
    await main.call("patchAsset", "main", "stock:AAPL", {"priceApiId": None})
    task = await chained_fetch(main, after=task["id"])

    failed = (
        "Error: Could not fetch prices for any asset: 2 of 2 failed; the first error: AAPL: "
        "Yahoo Finance: malformed response: chart.result is empty (asset stock:AAPL)"
    )
    assert (task["status"], task["errorMessage"]) == ("failed", failed)
    [notification] = await main.call("getNotifications", "main")
    assert (notification["title"], notification["text"]) == ("Fetch asset prices failed", failed)
    assert await stored(daemon, "stock:AAPL") == []
