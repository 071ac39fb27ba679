"""The change feed across the account's life: a version a device saw is never given again, and
a device that knew the feed before a reset or a restore is told so."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP, until
from tests.backup.helpers import download, restore_over_rpc, upload

Page = dict[str, Any]


def patch_notes(event_id: str, notes: str, version: int | None = None) -> dict[str, Any]:
    event = {"eventId": event_id, "type": "transaction.patch", "recordId": "MANUAL_1"}
    return event | {"data": {"notes": notes}} | ({} if version is None else {"version": version})


async def test_versions_keep_growing_after_a_reset(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    before = await client.call("getChanges", "main", 0)
    assert before["lastSeq"] == 2
    await client.call("resetAccount", "main")
    await client.call("upsertTags", "main", ["c"])
    after = await client.call("getChanges", "main", 0)
    assert after["feedId"] != before["feedId"]
    assert [(c["seq"], c["record"]) for c in after["changes"]] == [(3, {"id": 3, "name": "c"})]


async def test_an_edit_made_before_a_restore_conflicts_after_it(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    [seen] = await client.call("submitEvents", "main", [patch_notes("desk-1", "before")])
    uploaded = await upload(client, daemon, "main", content)
    assert await restore_over_rpc(client, "main", uploaded) is None

    [after] = await client.call("submitEvents", "main", [patch_notes("desk-2", "after")])
    assert after["version"] > seen["version"]
    [phone] = await client.call(
        "submitEvents", "main", [patch_notes("phone-1", "offline", seen["version"])]
    )
    assert (phone["status"], phone["error"]["code"], phone["record"]["notes"]) == (
        "conflict",
        -32003,
        "after",
    )


async def test_a_follower_that_names_an_old_feed_starts_with_a_reset(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    old = await client.call("getChanges", "main", 0)
    await client.call("resetAccount", "main")
    pages: list[Page] = []
    await client.call("subscribeToChanges", "main", old["lastSeq"], pages.append, old["feedId"])
    await until(lambda: bool(pages))
    assert pages[0]["reset"] is True and pages[0]["feedId"] != old["feedId"]

    current = pages[0]["feedId"]
    quiet: list[Page] = []
    await client.call("subscribeToChanges", "main", pages[0]["lastSeq"], quiet.append, current)
    await client.call("upsertTags", "main", ["b"])
    await until(lambda: bool(quiet))
    assert "reset" not in quiet[0]


async def test_events_made_on_an_old_feed_are_refused_whole(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    old = (await client.call("getChanges", "main", 0))["feedId"]
    await client.call("resetAccount", "main")
    current = (await client.call("getChanges", "main", 0))["feedId"]
    events = [{"eventId": "p1", "type": "tag.create", "data": {"name": "x"}}]
    with pytest.raises(RpcCallError) as refused:
        await client.call("submitEvents", "main", events, {"feedId": old})
    assert (refused.value.code, refused.value.message, refused.value.data) == (
        -32003,
        f"The account was reset or restored since feed {old}: read a new snapshot "
        "(getSnapshot), then send the events that still apply",
        {"latest": {"feedId": current}},
    )
    assert await client.call("getTags", "main") == []
    [applied] = await client.call("submitEvents", "main", events, {"feedId": current})
    assert applied["status"] == "applied"
