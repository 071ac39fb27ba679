"""An edit that changes nothing makes no change: the record keeps its version, so a device's
edit made on that version still applies."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import STOCK_BUY

NO_EDITS = [
    ("transaction.patch", "MANUAL_1", {}),
    ("transaction.patch", "MANUAL_1", {"bogus": 1}),
    ("transaction.patch", "MANUAL_1", {"notes": None}),
    ("transaction.patch", "MANUAL_1", {"wallet": "Broker", "incoming": "10"}),
    ("transaction.update", "MANUAL_1", STOCK_BUY),
    ("tag.rename", "1", {"name": "otc"}),
    ("tagging.assign", "transaction:MANUAL_1", {"tagName": "otc"}),
    ("tagging.unassign", "transaction:MANUAL_1", {"tagId": 7}),
    ("settings.patch", None, {}),
    ("settings.patch", "settings", {"kioskMode": False}),
    ("value.set", "address_book", {"value": '{"0xabc": "cold wallet"}'}),
    ("asset.patch", "stock:AAPL", {"favorite": True}),
]


async def account_with_one_of_each(client: DaemonClient) -> dict[str, Any]:
    """MANUAL_1 (without notes), tag 1 on it, an address book, a favourite; their snapshot."""
    await client.call("createAccount", "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    await client.call("setValue", "main", "address_book", '{"0xabc": "cold wallet"}')
    await client.call("patchAsset", "main", "stock:AAPL", {"favorite": True})
    snapshot: dict[str, Any] = await client.call("getSnapshot", "main")
    return snapshot


def entry_of(snapshot: dict[str, Any], entity: str, record_id: str) -> dict[str, Any]:
    [entry] = [
        r for r in snapshot["records"] if (r["entity"], r["recordId"]) == (entity, record_id)
    ]
    return dict(entry)


@pytest.mark.parametrize(("kind", "record_id", "data"), NO_EDITS)
async def test_an_event_that_changes_nothing_is_applied_without_a_change(
    client: DaemonClient, kind: str, record_id: str | None, data: dict[str, Any]
) -> None:
    before = await account_with_one_of_each(client)
    assert before["lastSeq"] == 5
    entity = kind.partition(".")[0]
    current = entry_of(before, entity, record_id or "settings")
    event = {"eventId": "same", "type": kind, "recordId": record_id, "data": data}

    [result] = await client.call("submitEvents", "main", [event])
    assert result == {
        "eventId": "same",
        "status": "applied",
        "entity": entity,
        "recordId": current["recordId"],
        "version": current["version"],
        "record": current["record"],
    }
    assert await client.call("getSnapshot", "main") == before
    assert (await client.call("getChanges", "main"))["lastSeq"] == 5

    [again] = await client.call("submitEvents", "main", [event])
    assert again == {**result, "duplicate": True}


async def test_a_device_edit_on_the_version_before_a_no_op_still_applies(
    client: DaemonClient,
) -> None:
    await account_with_one_of_each(client)
    noop = {"eventId": "laptop", "type": "tag.rename", "recordId": "1", "data": {"name": "otc"}}
    edit = {**noop, "eventId": "phone", "version": 2, "data": {"name": "OTC"}}

    [laptop, phone] = await client.call("submitEvents", "main", [noop, edit])
    assert (laptop["status"], laptop["version"]) == ("applied", 2)
    assert phone == {
        "eventId": "phone",
        "status": "applied",
        "entity": "tag",
        "recordId": "1",
        "version": 6,
        "record": {"id": 1, "name": "OTC"},
    }
    changes = (await client.call("getChanges", "main", 5))["changes"]
    assert [(c["seq"], c["recordId"], c["eventId"]) for c in changes] == [(6, "1", "phone")]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("patchTransaction", ["main", "MANUAL_1", {}]),
        ("patchTransaction", ["main", "MANUAL_1", {"notes": None}]),
        ("updateTransaction", ["main", "MANUAL_1", STOCK_BUY]),
    ],
)
async def test_a_transaction_method_that_changes_nothing_keeps_the_version(
    client: DaemonClient, method: str, params: list[Any]
) -> None:
    before = await account_with_one_of_each(client)
    await client.call(method, *params)
    assert await client.call("getSnapshot", "main") == before
    assert entry_of(before, "transaction", "MANUAL_1")["version"] == 1
    assert (await client.call("getChanges", "main"))["lastSeq"] == 5
