"""A tag name has at most 100 characters and no control character, whether it comes through a
tag method or a sync event; a refused name changes nothing (decision 0011)."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import STOCK_BUY
from tests.api.refusals import LONG, refusal_of_call, refusal_of_event, synced_state

TOO_LONG = "Tag name is too long: 1000000 characters (at most 100)"
NUL = "Tag name has a control character, U+0000, at position 4"

CALLS = [
    (("upsertTags", "main", ["fine", LONG]), f"{TOO_LONG} (name 2 of 2)"),
    (("upsertTag", "main", LONG), TOO_LONG),
    (("updateTag", "main", 1, LONG), TOO_LONG),
    (("assignTagToTransaction", "main", "MANUAL_1", LONG), TOO_LONG),
    (("upsertTags", "main", ["fine", "tax\x002024"]), f"{NUL} (name 2 of 2)"),
    (("updateTag", "main", 1, "tax\x002024"), NUL),
    (("upsertTag", "main", "x" * 101), "Tag name is too long: 101 characters (at most 100)"),
]

EVENTS = [
    ("tag.create", None, {"name": LONG}, TOO_LONG),
    ("tag.rename", "1", {"name": LONG}, TOO_LONG),
    ("tagging.assign", "transaction:MANUAL_1", {"tagName": LONG}, TOO_LONG),
    ("tag.create", None, {"name": "tax\x002024"}, NUL),
    (
        "tagging.assign",
        "transaction:MANUAL_1",
        {"tagName": "tax\n2024"},
        "Tag name has a control character, U+000A, at position 4",
    ),
]


async def tagged_account(client: DaemonClient) -> dict[str, Any]:
    await client.call("createAccount", "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    return await synced_state(client)


@pytest.mark.parametrize(("call", "message"), CALLS)
async def test_a_tag_method_refuses_a_long_or_control_name(
    client: DaemonClient, call: tuple[Any, ...], message: str
) -> None:
    before = await tagged_account(client)
    assert await refusal_of_call(client, *call) == (-32602, message)
    assert await synced_state(client) == before


@pytest.mark.parametrize(("kind", "record_id", "data", "message"), EVENTS)
async def test_a_tag_event_refuses_a_long_or_control_name(
    client: DaemonClient, kind: str, record_id: str | None, data: dict[str, Any], message: str
) -> None:
    before = await tagged_account(client)
    assert await refusal_of_event(client, kind, record_id, data) == (-32602, message)
    assert await synced_state(client) == before


async def test_a_name_of_100_characters_is_a_tag(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    name = "é" * 100
    assert await client.call("upsertTags", "main", [name]) == [{"id": 1, "name": name}]
