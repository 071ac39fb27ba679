"""A trade's tags follow it when the ledger changes its opening time, and so its id."""

import asyncio
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.derived import FINAL, account_with_prices
from tests.api.importing import wait_for_task
from tests.api.manual_entries import T

DEPOSIT = {
    "type": "Deposit",
    "wallet": "Broker",
    "platformId": "app.generic",
    "incomingAsset": "stock:AAPL",
}
PRICES = [("stock:AAPL", T - T % 86_400_000 - 86_400_000 * day, 100) for day in range(7)]


async def trades_refreshed(client: DaemonClient, runs: int) -> None:
    """Wait for the ``runs``-th "Refresh trades" side effect, and every task, to end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        tasks = await client.call("getServerTasks", "main")
        refreshes = [task for task in tasks if task["name"] == "Refresh trades"]
        if len(refreshes) >= runs and all(task["status"] in FINAL for task in tasks):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {runs} trades refreshes")


async def trade_ids(client: DaemonClient) -> list[str]:
    return [trade["id"] for trade in await client.call("getTrades", "main")]


async def taggings(client: DaemonClient) -> list[dict[str, Any]]:
    snapshot = await client.call("getSnapshot", "main")
    return [record["record"] for record in snapshot["records"] if record["entity"] == "tagging"]


async def test_tags_move_to_the_trade_that_opens_earlier_and_go_with_a_trade_that_goes(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    await client.call("addTransaction", {**DEPOSIT, "incoming": "10", "timestamp": T}, "main")
    await trades_refreshed(client, 1)
    [first] = await trade_ids(client)
    await client.call("assignTagToTrade", "main", first, "long term")
    seen = (await client.call("getChanges", "main", 0))["lastSeq"]

    earlier = {**DEPOSIT, "incoming": "5", "timestamp": T - 86_400_000}
    await client.call("addTransaction", earlier, "main")
    await trades_refreshed(client, 2)

    [second] = await trade_ids(client)
    assert second != first
    assert await client.call("getTagsForTrade", "main", second) == [{"id": 1, "name": "long term"}]
    assert await client.call("getTagsForTrade", "main", first) == []
    assert await taggings(client) == [{"kind": "trade", "itemId": second, "tagIds": [1]}]
    changes = (await client.call("getChanges", "main", seen))["changes"]
    assert [
        (change["recordId"], change["record"])
        for change in changes
        if change["entity"] == "tagging"
    ] == [
        (f"trade:{second}", {"kind": "trade", "itemId": second, "tagIds": [1]}),
        (f"trade:{first}", None),
    ]

    await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_1")
    await trades_refreshed(client, 3)
    assert await trade_ids(client) == [second]
    task_id = await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_2")
    await wait_for_task(client, task_id)  # an empty ledger needs no refresh
    assert await trade_ids(client) == []
    assert await client.call("getTagsForTrade", "main", second) == []
    assert await taggings(client) == []


async def test_a_refresh_that_opens_the_last_trade_earlier_moves_its_tags(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    withdraw = {**DEPOSIT, "type": "Withdraw", "incomingAsset": None, "outgoingAsset": "stock:AAPL"}
    for entry in (
        {**DEPOSIT, "incoming": "10", "timestamp": T - 5 * 86_400_000},
        {**withdraw, "outgoing": "10", "timestamp": T - 4 * 86_400_000},
        {**DEPOSIT, "incoming": "5", "timestamp": T},
    ):
        await client.call("addTransaction", entry, "main")
    await trades_refreshed(client, 1)
    [last, closed] = await trade_ids(client)
    await client.call("assignTagToTrade", "main", last, "watch")
    await client.call("assignTagToTrade", "main", closed, "done")

    between = {**DEPOSIT, "incoming": "1", "timestamp": T - 86_400_000}
    await client.call("addTransaction", between, "main")
    await trades_refreshed(client, 2)

    [moved, same] = await trade_ids(client)
    assert (moved != last, same) == (True, closed)
    assert await client.call("getTagsForTrade", "main", moved) == [{"id": 1, "name": "watch"}]
    assert await client.call("getTagsForTrade", "main", closed) == [{"id": 2, "name": "done"}]
    assert sorted(await taggings(client), key=lambda record: record["tagIds"]) == [
        {"kind": "trade", "itemId": moved, "tagIds": [1]},
        {"kind": "trade", "itemId": closed, "tagIds": [2]},
    ]
