"""Spam detection takes its own "spam" tag off a transaction that no longer looks like spam
(its token got a coingeckoId), and never a tag a user put on."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file
from tests.api.test_spam_after_unmerge import ERC20, USER, settled_after
from tests.api.test_spam_cleared import AIRDROP, SECOND, detect_spam, tag_names

CONTEXT = {"platform": "chain.ethereum", "userAddress": USER}


async def import_settled(daemon: Daemon, client: DaemonClient, name: str, text: str) -> None:
    task = await import_file(daemon, client, name, text.encode(), context=CONTEXT)
    assert task["status"] == "completed", task
    await settled_after(client, task["id"])


async def spam_ids(client: DaemonClient) -> list[str]:
    return [tx["id"] for tx in await client.call("getTransactions", "main", {"tag": "spam"})]


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

    await list_asset(client, gift["incomingAsset"])
    task_id = await detect_spam(client)

    assert await spam_ids(client) == [second["id"]]
    [gift_log] = await client.call("getAuditLogsForTransaction", "main", gift["id"])
    assert await tag_names(client, "getTagsForAuditLog", gift_log["id"]) == []
    log = await client.call("getServerTaskLog", "main", task_id)
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
