"""Every error of an event names its position in the batch and its eventId, whatever its code."""

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP


async def test_each_error_names_the_event_it_is_about(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    patch = {"eventId": "", "type": "transaction.patch", "recordId": "MANUAL_1"}
    batch = [
        {**patch, "eventId": "ok", "data": {"notes": "new"}},
        {**patch, "eventId": "amount", "data": {"incoming": "abc"}},
        {**patch, "eventId": "id", "data": {"id": "MANUAL_2"}},
        {"eventId": "no-id", "type": "tag.rename", "data": {"name": "x"}},
        {"eventId": "gone", "type": "tag.rename", "recordId": "999", "data": {"name": "x"}},
        {"eventId": "unnamed", "type": "tag.create", "data": {"name": " "}},
        {**patch, "eventId": "stale", "version": 0, "data": {"notes": "old"}},
        {"eventId": "cursor", "type": "value.set", "recordId": "x", "data": {"value": 1}},
        {"type": "tag.create", "data": {"name": "x"}},
        "tag.create",
    ]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    assert [(r["status"], r.get("error", {}).get("code")) for r in results] == [
        ("applied", None),
        ("error", -32602),
        ("error", -32602),
        ("error", -32602),
        ("error", -32002),
        ("error", -32602),
        ("conflict", -32003),
        ("error", -32602),
        ("error", -32602),
        ("error", -32602),
    ]
    assert [r["error"]["message"] for r in results[1:]] == [
        'Event #2 (amount): Invalid incoming amount "abc": expected a positive number',
        "Event #3 (id): A transaction's id cannot be changed",
        "Event #4 (no-id): This event needs a recordId",
        "Event #5 (gone): Tag 999 does not exist",
        "Event #6 (unnamed): A tag needs a name",
        "Event #7 (stale): The record is at version 2, not 0",
        'Event #8 (cursor): "x" is not a synced value: expected one of address_book, '
        "assistant_custom_api_url",
        "Event #9: eventId must be a string of 1 to 200 characters",
        "Event #10: an event must be an object",
    ]
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["notes"], tx["incoming"]) == ("new", "100")
    assert await client.call("getTags", "main") == []


async def test_a_misspelt_option_is_refused_and_applies_nothing(client: DaemonClient) -> None:
    """``feedID`` for ``feedId`` would skip the check the option exists for."""
    await client.call("createAccount", "main")
    event = {"eventId": "a", "type": "tag.create", "data": {"name": "a"}}
    with pytest.raises(RpcCallError) as refused:
        await client.call("submitEvents", "main", [event], {"feedID": "feed_old"})
    assert (refused.value.code, refused.value.message) == (
        -32602,
        "Invalid params: 'options' has no key 'feedID' (its keys are: mode, feedId)",
    )
    assert await client.call("getTags", "main") == []
