"""Spam detection takes its own "spam" tag off a transaction that no longer looks like spam
(its token got a coingeckoId), and never a tag a user put on."""

from typing import Any

from aiohttp import web

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task
from tests.api.test_spam_after_unmerge import ERC20, USER, settled_after
from tests.api.test_spam_cleared import AIRDROP, SECOND, UNLISTED, detect_spam, tag_names
from tests.standins.background_server import serve_in_thread

CONTEXT = {"platform": "chain.ethereum", "userAddress": USER}
OTHER_TOKEN = "0x" + "44" * 20


async def import_settled(daemon: Daemon, client: DaemonClient, name: str, text: str) -> None:
    task = await import_file(daemon, client, name, text.encode(), context=CONTEXT)
    assert task["status"] == "completed", task
    await settled_after(client, task["id"])


async def spam_ids(client: DaemonClient) -> list[str]:
    return [tx["id"] for tx in await client.call("getTransactions", "main", {"tag": "spam"})]


async def last_task_id(client: DaemonClient) -> int:
    return max(task["id"] for task in await client.call("getServerTasks", "main"))


async def list_asset(client: DaemonClient, asset_id: str) -> None:
    await client.call("patchAsset", "main", asset_id, {"coingeckoId": "a-listed-coin"})


async def test_a_listed_token_loses_detections_tag_and_keeps_a_users(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "gift.csv", AIRDROP)
    await import_settled(daemon, client, "second.csv", SECOND)
    transactions: list[dict[str, Any]] = await client.call("getTransactions", "main")
    gift, second = sorted(transactions, key=lambda tx: tx["timestamp"])
    assert sorted(await spam_ids(client)) == sorted([gift["id"], second["id"]])
    await client.call("assignTagToTransaction", "main", second["id"], "spam")  # the user's now

    before = await last_task_id(client)
    await list_asset(client, gift["incomingAsset"])  # sets off a spam pass
    await settled_after(client, before)

    assert await spam_ids(client) == [second["id"]]
    [gift_log] = await client.call("getAuditLogsForTransaction", "main", gift["id"])
    assert await tag_names(client, "getTagsForAuditLog", gift_log["id"]) == []
    [spam_pass] = [
        task
        for task in await client.call("getServerTasks", "main")
        if task["id"] > before and task["name"] == "Detect spam transactions"
    ]
    assert spam_pass["trigger"] == "system"
    log = await client.call("getServerTaskLog", "main", spam_pass["id"])
    assert "Took the spam tag off 1 transactions no longer spam" in log
    assert "Tagging 0 spam transactions" in log


async def test_a_merged_transaction_keeps_its_members_spam_tag_as_detections(
    client: DaemonClient, daemon: Daemon
) -> None:
    """The merged swap takes the deposit's tag over; once the token it brings in is listed,
    detection takes the tag off, as it would have off the deposit."""
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "in.csv", ERC20)
    [deposit] = await client.call("getTransactions", "main")
    assert await spam_ids(client) == [deposit["id"]]
    sent = ERC20.replace(
        f'"0x7a250d5630b4cf539739df2c5dacb4c659f2488d","{USER}"',
        f'"{USER}","0x7a250d5630b4cf539739df2c5dacb4c659f2488d"',
    ).replace("0x2222222222222222222222222222222222222222", "0x" + "33" * 20)
    await import_settled(daemon, client, "out.csv", sent.replace("TOKA", "TOKB"))
    [swap] = await client.call("getTransactions", "main")
    assert (swap["type"], await spam_ids(client)) == ("Swap", [swap["id"]])

    await list_asset(client, swap["incomingAsset"])
    await detect_spam(client)

    assert await spam_ids(client) == []


async def test_a_coingecko_id_given_or_a_coin_list_that_lists_the_token_takes_the_tag_off(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Which tokens are listed changed: the spam pass runs again by itself."""
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "gift.csv", AIRDROP)
    await import_settled(daemon, client, "other.csv", SECOND.replace(UNLISTED, OTHER_TOKEN))
    gift, second = sorted(
        await client.call("getTransactions", "main"), key=lambda tx: tx["timestamp"]
    )
    assert len(await spam_ids(client)) == 2

    tasks_before = await last_task_id(client)
    await list_asset(client, gift["incomingAsset"])
    await settled_after(client, tasks_before)
    assert await spam_ids(client) == [second["id"]]

    coin = {"id": "gift", "symbol": "gift", "name": "Gift", "platforms": {"ethereum": OTHER_TOKEN}}

    async def coin_list(_: web.Request) -> web.Response:
        return web.json_response([coin])

    app = web.Application()
    app.router.add_get("/coins", coin_list)
    with serve_in_thread(app) as url:
        await client.call("updateServerSettings", {"coinListUrl": f"{url}/coins"})
        tasks_before = await last_task_id(client)
        refetch = await client.call("enqueueRefetchAssets", "main", "user")
        assert (await wait_for_task(client, refetch))["status"] == "completed"
        await settled_after(client, tasks_before)
    assert await spam_ids(client) == []


async def test_a_coingecko_id_taken_back_makes_the_token_spam_again(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Deleting the asset preferences drops the user's coingeckoId: the spam pass runs by
    itself, though no tag of detection's is left to take off."""
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "gift.csv", AIRDROP)
    gift = (await client.call("getTransactions", "main"))[0]
    before = await last_task_id(client)
    await list_asset(client, gift["incomingAsset"])
    await settled_after(client, before)
    assert await spam_ids(client) == []

    before = await last_task_id(client)
    task_id = await client.call("enqueueDeleteAssetPreferences", "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    await settled_after(client, before)
    assert await spam_ids(client) == [gift["id"]]
