"""A "spam" tag a user takes off a transaction comes off its audit logs too, and one a user puts
on goes on them, as spam detection puts it on both: through the tag methods and through sync
events, and so it stays when detection runs again."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import until
from tests.api.test_spam_cleared import detect_spam
from tests.api.test_spam_stays_the_users import gift_and_its_log, listed_and_checked, spam_tag_id
from tests.api.test_spam_taken_off import spam_ids


async def spam_logs(client: DaemonClient) -> list[str]:
    """The audit logs a user sees with the "spam" tag filter."""
    return [log["id"] for log in await client.call("getAuditLogs", "main", {"tag": "spam"})]


def tagging_event(event_id: str, type_: str, tx_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"eventId": event_id, "type": type_, "recordId": f"transaction:{tx_id}", "data": data}


async def test_spam_taken_off_a_transaction_comes_off_its_logs_and_stays_off(
    client: DaemonClient, daemon: Daemon
) -> None:
    gift, log = await gift_and_its_log(daemon, client)
    assert (await spam_ids(client), await spam_logs(client)) == ([gift["id"]], [log["id"]])
    heard: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", "main", lambda *args: heard.append(args))

    await client.call("removeTagFromTransaction", "main", gift["id"], await spam_tag_id(client))
    assert (await spam_ids(client), await spam_logs(client)) == ([], [])
    await until(lambda: bool(heard))
    assert heard[0][0] == "updated"  # the audit logs table shows it at once
    await detect_spam(client)
    assert (await spam_ids(client), await spam_logs(client)) == ([], [])

    await client.call("assignTagToTransaction", "main", gift["id"], "spam")
    assert (await spam_ids(client), await spam_logs(client)) == ([gift["id"]], [log["id"]])
    await listed_and_checked(client, str(gift["incomingAsset"]))  # no longer spam to detection
    assert (await spam_ids(client), await spam_logs(client)) == ([gift["id"]], [log["id"]])


async def test_spam_a_device_takes_off_a_transaction_comes_off_its_logs_in_the_feed(
    client: DaemonClient, daemon: Daemon
) -> None:
    gift, log = await gift_and_its_log(daemon, client)
    last_seq = (await client.call("getChanges", "main"))["lastSeq"]
    off = tagging_event("off", "tagging.unassign", gift["id"], {"tagId": await spam_tag_id(client)})

    [result] = await client.call("submitEvents", "main", [off])
    assert result["status"] == "applied"
    assert (await spam_ids(client), await spam_logs(client)) == ([], [])
    changes = (await client.call("getChanges", "main", last_seq))["changes"]
    assert [(change["recordId"], change["record"], change["eventId"]) for change in changes] == [
        (f"transaction:{gift['id']}", None, "off"),
        (f"auditLog:{log['id']}", None, "off"),
    ]
    await detect_spam(client)
    assert (await spam_ids(client), await spam_logs(client)) == ([], [])

    on = tagging_event("on", "tagging.assign", gift["id"], {"tagName": "spam"})
    [result] = await client.call("submitEvents", "main", [on])
    assert result["status"] == "applied"
    assert (await spam_ids(client), await spam_logs(client)) == ([gift["id"]], [log["id"]])


async def test_a_spam_pass_takes_detections_tag_off_the_logs_of_a_cleared_transaction(
    client: DaemonClient, daemon: Daemon
) -> None:
    """As an older version left them: the transaction cleared, its logs still tagged."""
    gift, log = await gift_and_its_log(daemon, client)
    db = daemon.accounts.get("main")
    spam = await spam_tag_id(client)
    await db.execute("DELETE FROM transaction_tags WHERE transaction_id = ?", (gift["id"],))
    await db.execute("DELETE FROM spam_detected WHERE kind = 'transaction'")
    await db.execute("INSERT INTO spam_cleared VALUES ('transaction', ?)", (gift["id"],))
    assert (await spam_ids(client), await spam_logs(client)) == ([], [log["id"]])

    await detect_spam(client)
    assert (await spam_ids(client), await spam_logs(client)) == ([], [])
    assert await db.fetch_all("SELECT * FROM audit_log_tags WHERE tag_id = ?", (spam,)) == []
