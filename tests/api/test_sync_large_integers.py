"""Whole numbers beyond SQLite's range are refused as bad parameters: one event's alone, a
cursor's for the call. Before, they failed the whole call with an internal error."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP
from tests.api.refusals import refusal_of_call

HUGE = "1180591620717411303424"


async def test_an_event_with_a_huge_tag_id_fails_alone(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    batch = [
        {"eventId": "a", "type": "tag.create", "data": {"name": "good"}},
        {"eventId": "b", "type": "tag.rename", "recordId": HUGE, "data": {"name": "x"}},
        {"eventId": "c", "type": "tag.create", "data": {"name": "good2"}},
    ]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    assert [r["status"] for r in results] == ["applied", "error", "applied"]
    assert results[1]["error"] == {
        "code": -32602,
        "message": f'Event #2 (b): Tag ids go up to 9223372036854775807, not "{HUGE}"',
    }
    assert [t["name"] for t in await client.call("getTags", "main")] == ["good", "good2"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"type": "tagging.unassign", "recordId": "transaction:MANUAL_1"}
            | {"data": {"tagId": 2**63}},
            "data.tagId must be from -9223372036854775807 to 9223372036854775807, "
            "not 9223372036854775808",
        ),
        (
            {"type": "transaction.patch", "recordId": "MANUAL_1", "data": {"timestamp": 2**63}},
            "data.timestamp must be from -9223372036854775807 to 9223372036854775807, "
            "not 9223372036854775808",
        ),
        (
            {"type": "transaction.add", "data": {**SWAP, "timestamp": 2**63}},
            "data.timestamp must be from -9223372036854775807 to 9223372036854775807, "
            "not 9223372036854775808",
        ),
    ],
)
async def test_other_huge_numbers_of_an_event_fail_it_alone(
    client: DaemonClient, event: dict[str, Any], message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    before = await client.call("getSnapshot", "main")
    good = {"eventId": "good", "type": "tag.create", "data": {"name": "good"}}
    batch = [{**event, "eventId": "big"}, good]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    assert [r["status"] for r in results] == ["error", "applied"]
    assert results[0]["error"] == {"code": -32602, "message": f"Event #1 (big): {message}"}
    after = await client.call("getSnapshot", "main")
    assert [r for r in after["records"] if r["entity"] != "tag"] == before["records"]


async def test_a_version_past_the_largest_integer_is_refused(client: DaemonClient) -> None:
    """No record reaches a version SQLite cannot store: such a version is a bad event."""
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    event = {"eventId": "v", "type": "tag.rename", "recordId": "1", "version": 2**63}
    [result] = await client.call("submitEvents", "main", [event | {"data": {"name": "b"}}])
    assert result["error"] == {
        "code": -32602,
        "message": "Event #1 (v): version must be a whole number from 0 to 9223372036854775807",
    }
    assert await client.call("getTags", "main") == [{"id": 1, "name": "a"}]


async def test_a_huge_cursor_is_refused(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    feed_id = (await client.call("getChanges", "main"))["feedId"]
    message = (
        f"afterSeq {2**63 - 1} is beyond the last seq of feed {feed_id}, 1: read a new snapshot "
        "(getSnapshot) and go on from its lastSeq"
    )
    assert await refusal_of_call(client, "getChanges", "main", 2**63 - 1) == (-32602, message)
    assert await refusal_of_call(
        client, "subscribeToChanges", "main", 2**63 - 1, lambda _: None
    ) == (-32602, message)
    # From 2^63 on, SQLite cannot hold the number: refused as out of range
    assert await refusal_of_call(client, "getChanges", "main", 2**63) == (
        -32602,
        "Invalid params: 'afterSeq' must be from -9223372036854775807 to 9223372036854775807, "
        f"not {2**63}",
    )
    # From 2^64 on, a JSON integer arrives as a float: refused as out of range, not as a fraction
    assert await refusal_of_call(client, "getChanges", "main", 2.0**70) == (
        -32602,
        "Invalid params: 'afterSeq' must be from -9223372036854775807 to 9223372036854775807, "
        f"not {2**70}",
    )
    assert await refusal_of_call(client, "getChanges", "main", 1.5) == (
        -32602,
        "Invalid params: 'afterSeq' must be an integer, not 1.5",
    )
