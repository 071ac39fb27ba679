"""An offline device's deletion of what another device deleted first is applied without a change,
so its queue goes on; a record that never was still gets -32002."""

from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP


async def _two_devices_saw_a_tagged_transaction(client: DaemonClient) -> dict[str, int]:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    snapshot = await client.call("getSnapshot", "main")
    return {f"{r['entity']}:{r['recordId']}": r["version"] for r in snapshot["records"]}


def _statuses(results: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    return [(r["status"], r.get("version"), r.get("record")) for r in results]


async def test_the_offline_queue_applies_over_a_deletion_made_elsewhere(
    client: DaemonClient,
) -> None:
    seen = await _two_devices_saw_a_tagged_transaction(client)
    delete_tx = {"type": "transaction.delete", "recordId": "MANUAL_1"}
    [phone] = await client.call("submitEvents", "main", [{"eventId": "p1", **delete_tx}])
    assert (phone["status"], phone["record"]) == ("applied", None)
    deleted_at = phone["version"]
    feed_before = await client.call("getChanges", "main", 0, 100)

    desktop_queue = [
        {"eventId": "d1", **delete_tx, "version": seen["transaction:MANUAL_1"]},
        {
            "eventId": "d2",
            "type": "tagging.unassign",
            "recordId": "transaction:MANUAL_1",
            "version": seen["tagging:transaction:MANUAL_1"],
            "data": {"tagId": 1},
        },
        {"eventId": "d3", "type": "tag.create", "data": {"name": "later"}},
    ]
    results = await client.call("submitEvents", "main", desktop_queue)

    tagging_deleted_at = next(
        c["seq"]
        for c in feed_before["changes"]
        if c["recordId"] == "transaction:MANUAL_1" and c["entity"] == "tagging"
    )
    assert _statuses(results) == [
        ("applied", deleted_at, None),
        ("applied", tagging_deleted_at, None),
        ("applied", feed_before["lastSeq"] + 1, {"id": 2, "name": "later"}),
    ]
    feed_after = await client.call("getChanges", "main", 0, 100)
    assert feed_after["changes"][:-1] == feed_before["changes"]
    assert [c["eventId"] for c in feed_after["changes"][-1:]] == ["d3"]
    again = await client.call("submitEvents", "main", desktop_queue)
    assert [r.get("duplicate") for r in again] == [True, True, True]


async def test_a_tag_deleted_twice_is_deleted_once(client: DaemonClient) -> None:
    seen = await _two_devices_saw_a_tagged_transaction(client)
    delete_tag = {"type": "tag.delete", "recordId": "1", "version": seen["tag:1"]}
    [first] = await client.call("submitEvents", "main", [{"eventId": "p", **delete_tag}])
    [second] = await client.call("submitEvents", "main", [{"eventId": "d", **delete_tag}])
    assert _statuses([first, second]) == [("applied", first["version"], None)] * 2
    changes = (await client.call("getChanges", "main", 0, 100))["changes"]
    assert [(c["recordId"], c["eventId"]) for c in changes if c["entity"] == "tag"] == [("1", "p")]


async def test_what_never_was_or_cannot_be_stored_is_still_refused(client: DaemonClient) -> None:
    await _two_devices_saw_a_tagged_transaction(client)
    delete = {"eventId": "x", "type": "transaction.delete", "recordId": "MANUAL_1"}
    await client.call("submitEvents", "main", [delete])
    batch = [
        {"eventId": "a", "type": "transaction.delete", "recordId": "MANUAL_9"},
        {"eventId": "b", "type": "tag.delete", "recordId": "7"},
        {
            "eventId": "c",
            "type": "tagging.unassign",
            "recordId": "transaction:MANUAL_1",
            "data": {"tagId": 2**63},
        },
    ]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    assert [r["error"] for r in results] == [
        {"code": -32002, "message": "Event #1 (a): Transaction MANUAL_9 does not exist"},
        {"code": -32002, "message": "Event #2 (b): Tag 7 does not exist"},
        {
            "code": -32602,
            "message": "Event #3 (c): data.tagId must be from -9223372036854775807 to "
            "9223372036854775807, not 9223372036854775808",
        },
    ]


async def test_a_version_for_what_never_was_is_not_found_not_a_conflict(
    client: DaemonClient,
) -> None:
    """A conflict would tell the device the record is at version 0, and send it back to edit
    what cannot be edited at any version. What was deleted since is still a conflict."""
    seen = await _two_devices_saw_a_tagged_transaction(client)
    await client.call(
        "submitEvents", "main", [{"eventId": "x", "type": "tag.delete", "recordId": "1"}]
    )
    never = [
        ("tag.delete", "99", 5, None),
        ("tag.rename", "99", 5, {"name": "otc"}),
        ("transaction.delete", "MANUAL_77", 3, None),
        ("transaction.patch", "MANUAL_77", 3, {"notes": "n"}),
        ("tagging.assign", "transaction:MANUAL_77", 3, {"tagName": "otc"}),
        ("tagging.unassign", "transaction:MANUAL_77", 3, {"tagId": 1}),
        ("tag.rename", "1", seen["tag:1"], {"name": "otc"}),
        ("asset.patch", "stock:NOPE", 3, {"favorite": True}),
    ]
    batch = [
        {"eventId": f"e{n}", "type": kind, "recordId": record_id, "version": version, "data": data}
        for n, (kind, record_id, version, data) in enumerate(never, 1)
    ]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})

    tag_deleted_at = results[6]["version"]
    assert [(r["status"], r["error"]["code"], r["error"]["message"]) for r in results] == [
        ("error", -32002, "Event #1 (e1): Tag 99 does not exist"),
        ("error", -32002, "Event #2 (e2): Tag 99 does not exist"),
        ("error", -32002, "Event #3 (e3): Transaction MANUAL_77 does not exist"),
        ("error", -32002, "Event #4 (e4): Transaction MANUAL_77 does not exist"),
        ("error", -32002, "Event #5 (e5): Transaction MANUAL_77 does not exist"),
        ("error", -32002, "Event #6 (e6): Transaction MANUAL_77 does not exist"),
        (
            "conflict",
            -32003,
            f"Event #7 (e7): The record is at version {tag_deleted_at}, not {seen['tag:1']}",
        ),
        # patchAsset stores the preferences of any asset: they are at version 0 until then
        ("conflict", -32003, "Event #8 (e8): The record is at version 0, not 3"),
    ]
    assert [r.get("record") for r in results[6:]] == [None, None]
