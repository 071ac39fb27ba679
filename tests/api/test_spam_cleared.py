"""A "spam" tag a user took off stays off when spam detection runs again (after each import)."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task
from tests.api.test_merge_keeps_tags import ERC20, ETHEREUM, USER

UNLISTED = "0x1111111111111111111111111111111111111111"
AIRDROP = ERC20.replace("0xa4e8c3ec456107ea67d3075bf9e3df3a75823db0", UNLISTED).replace(
    "LOOM", "GIFT"
)
SECOND = AIRDROP.replace("ab" * 32, "ef" * 32).replace("1521052009", "1521052999")


async def detect_spam(client: DaemonClient) -> int:
    task_id: int = await client.call("enqueueDetectSpamTransactions", "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    return task_id


async def tag_names(client: DaemonClient, method: str, item_id: str) -> list[str]:
    tags: list[dict[str, Any]] = await client.call(method, "main", item_id)
    return [tag["name"] for tag in tags]


async def test_an_item_cleared_of_spam_stays_cleared_and_tagging_it_again_counts(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    context = ETHEREUM | {"userAddress": USER}
    task = await import_file(daemon, client, "gift.csv", AIRDROP.encode(), context=context)
    assert task["status"] == "completed", task
    await detect_spam(client)
    [gift] = await client.call("getTransactions", "main")
    [gift_log] = await client.call("getAuditLogs", "main")
    assert await tag_names(client, "getTagsForTransaction", gift["id"]) == ["spam"]
    [spam] = await client.call("getTags", "main")

    await client.call("removeTagFromTransaction", "main", gift["id"], spam["id"])
    await client.call("removeTagFromAuditLog", "main", gift_log["id"], spam["id"])
    task = await import_file(daemon, client, "second.csv", SECOND.encode(), context=context)
    assert task["status"] == "completed", task
    task_id = await detect_spam(client)

    log = await client.call("getServerTaskLog", "main", task_id)
    assert "Tagging 1 spam transactions" in log  # the second gift, not the cleared one

    assert await tag_names(client, "getTagsForTransaction", gift["id"]) == []
    assert await tag_names(client, "getTagsForAuditLog", gift_log["id"]) == []
    [second] = [tx for tx in await client.call("getTransactions", "main") if tx != gift]
    assert await tag_names(client, "getTagsForTransaction", second["id"]) == ["spam"]

    await client.call("assignTagToTransaction", "main", gift["id"], "spam")  # and on its log
    await client.call("removeTagFromTransaction", "main", second["id"], spam["id"])
    [second_log] = await client.call("getAuditLogsForTransaction", "main", second["id"])
    cleared = await daemon.accounts.get("main").fetch_all("SELECT * FROM spam_cleared")
    assert sorted(cleared) == [("auditLog", second_log["id"]), ("transaction", second["id"])]
