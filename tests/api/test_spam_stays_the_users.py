"""A "spam" tag a user put on stays, and one a user took off stays off, through the spam pass,
auto-merge, the undoing of a merge, sync events and tag renames: detection takes off only the
tags it put on itself."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.test_spam_after_unmerge import ERC20, NORMAL, USER, settled_after
from tests.api.test_spam_cleared import AIRDROP, detect_spam, tag_names
from tests.api.test_spam_taken_off import import_settled, list_asset, spam_ids

ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
SENT = (
    ERC20.replace(f'"{ROUTER}","{USER}"', f'"{USER}","{ROUTER}"')
    .replace("0x2222222222222222222222222222222222222222", "0x" + "33" * 20)
    .replace("TOKA", "TOKB")
)


async def spam_tag_id(client: DaemonClient) -> int:
    [spam] = [tag for tag in await client.call("getTags", "main") if tag["name"] == "spam"]
    return int(spam["id"])


async def one_transaction(client: DaemonClient) -> dict[str, object]:
    [tx] = await client.call("getTransactions", "main")
    return dict(tx)


async def gift_and_its_log(
    daemon: Daemon, client: DaemonClient
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An account with one unlisted airdrop, tagged spam by detection: it and its audit log."""
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "gift.csv", AIRDROP)
    gift = await one_transaction(client)
    [log] = await client.call("getAuditLogsForTransaction", "main", gift["id"])
    return gift, log


async def deposit_of_an_unlisted_token(daemon: Daemon, client: DaemonClient) -> dict[str, Any]:
    """An account with the ERC-20 side of a swap, tagged spam by detection."""
    await client.call("createAccount", "main")
    await import_settled(daemon, client, "in.csv", ERC20)
    return await one_transaction(client)


async def listed_and_checked(client: DaemonClient, asset_id: str) -> None:
    """The asset listed, then a spam pass (with no tag of detection's left, listing sets off
    none)."""
    await list_asset(client, asset_id)
    await detect_spam(client)


async def test_spam_a_device_assigns_through_sync_events_is_the_users(
    client: DaemonClient, daemon: Daemon
) -> None:
    gift, log = await gift_and_its_log(daemon, client)
    events = [
        {
            "eventId": f"e{n}",
            "type": "tagging.assign",
            "recordId": record,
            "data": {"tagName": "spam"},
        }
        for n, record in enumerate([f"transaction:{gift['id']}", f"auditLog:{log['id']}"])
    ]
    results = await client.call("submitEvents", "main", events)
    assert [result["status"] for result in results] == ["applied", "applied"]

    await listed_and_checked(client, str(gift["incomingAsset"]))
    assert await spam_ids(client) == [gift["id"]]
    assert await tag_names(client, "getTagsForAuditLog", log["id"]) == ["spam"]


async def test_spam_a_user_put_on_stays_through_a_merge_that_pays_a_fee(
    client: DaemonClient, daemon: Daemon
) -> None:
    deposit = await deposit_of_an_unlisted_token(daemon, client)
    await client.call("assignTagToTransaction", "main", deposit["id"], "spam")
    await import_settled(daemon, client, "normal.csv", NORMAL)
    swap = await one_transaction(client)
    assert (swap["type"], await spam_ids(client)) == ("Swap", [swap["id"]])


async def test_spam_a_user_took_off_stays_off_through_a_merge_and_its_undoing(
    client: DaemonClient, daemon: Daemon
) -> None:
    deposit = await deposit_of_an_unlisted_token(daemon, client)
    await client.call("removeTagFromTransaction", "main", deposit["id"], await spam_tag_id(client))
    await import_settled(daemon, client, "out.csv", SENT)
    swap = await one_transaction(client)
    assert (swap["type"], await spam_ids(client)) == ("Swap", [])

    [out] = [
        item for item in await client.call("getFileImports", "main") if item["name"] == "out.csv"
    ]
    removal = await client.call("enqueueRemoveFileImport", "main", "user", out["id"])
    await settled_after(client, removal)
    assert (await one_transaction(client))["id"] == deposit["id"]
    assert await spam_ids(client) == []


async def test_a_users_tag_renamed_spam_is_the_users(client: DaemonClient, daemon: Daemon) -> None:
    gift, _ = await gift_and_its_log(daemon, client)
    await client.call("assignTagToTransaction", "main", gift["id"], "junk")
    await client.call("deleteTag", "main", await spam_tag_id(client))
    [junk] = await client.call("getTags", "main")
    await client.call("updateTag", "main", junk["id"], "spam")

    await listed_and_checked(client, str(gift["incomingAsset"]))
    assert await spam_ids(client) == [gift["id"]]
