"""A recordId is refused unless written as its record's id is (tag 1 is "1", not "01"): the
version check and the edit would otherwise read two different records."""

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP
from tests.api.refusals import synced_state

ASSET_FORM = "An asset recordId is written as the asset's id is stored:"
TAG_FORM = 'A tag recordId is its number, without leading zeros, signs or spaces ("3"), not'


async def test_a_tag_id_with_a_leading_zero_cannot_skip_the_version_check(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["kept"])
    rename = {"eventId": "r", "type": "tag.rename", "data": {"name": "renamed"}}
    [applied] = await client.call("submitEvents", "main", [{**rename, "recordId": "1"}])
    assert applied["version"] == 2
    before = await synced_state(client)

    stale = {**rename, "eventId": "stale", "recordId": "01", "version": 0}
    current = {**rename, "eventId": "current", "recordId": "001", "version": 2}
    results = await client.call("submitEvents", "main", [stale, current], {"mode": "independent"})

    assert [(r["status"], r["error"]) for r in results] == [
        ("error", {"code": -32602, "message": f'Event #1 (stale): {TAG_FORM} "01"'}),
        ("error", {"code": -32602, "message": f'Event #2 (current): {TAG_FORM} "001"'}),
    ]
    assert await synced_state(client) == before


@pytest.mark.parametrize(
    ("kind", "record_id", "message"),
    [
        ("tag.rename", "+1", f'{TAG_FORM} "+1"'),
        ("tag.rename", " 1", f'{TAG_FORM} " 1"'),
        ("tag.delete", "1 ", f'{TAG_FORM} "1 "'),
        ("tag.delete", "\uff11", f'{TAG_FORM} "\uff11"'),
        ("tag.delete", "\u00b9", f'{TAG_FORM} "\u00b9"'),
        (
            "transaction.patch",
            "BINANCE_1",
            "BINANCE_1 is not a manual transaction: only manual transactions are synced",
        ),
        ("asset.patch", "fiat:usd", f'{ASSET_FORM} "fiat:USD", not "fiat:usd"'),
        ("asset.patch", "EX.BINANCE:BTC", f'{ASSET_FORM} "ex.binance:BTC", not "EX.BINANCE:BTC"'),
        ("asset.patch", "ex.binance: SOL", f'{ASSET_FORM} "ex.binance:SOL", not "ex.binance: SOL"'),
        ("settings.patch", "Settings", 'The settings record is "settings", not "Settings"'),
        (
            "value.set",
            "Address_book",
            '"Address_book" is not a synced value: expected one of address_book, '
            "assistant_custom_api_url",
        ),
        (
            "tagging.unassign",
            "Transaction:MANUAL_1",
            'A tagging recordId is "<kind>:<item id>", the kind one of auditLog, transaction or '
            'trade, not "Transaction:MANUAL_1"',
        ),
    ],
)
async def test_every_entity_refuses_an_id_not_in_its_form_before_the_version_check(
    client: DaemonClient, kind: str, record_id: str, message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    before = await synced_state(client)
    data = {"name": "x", "notes": "x", "value": "x", "tagId": 1}
    if kind == "asset.patch":
        data = {"favorite": True}
    event = {"eventId": "e", "type": kind, "recordId": record_id, "version": 99, "data": data}
    [result] = await client.call("submitEvents", "main", [event])
    assert result["error"] == {"code": -32602, "message": f"Event #1 (e): {message}"}
    assert await synced_state(client) == before


@pytest.mark.parametrize(
    ("kind", "record_id", "data"),
    [("transaction.add", "MANUAL_7", SWAP), ("tag.create", "5", {"name": "otc"})],
)
async def test_an_event_that_creates_its_record_takes_no_record_id(
    client: DaemonClient, kind: str, record_id: str, data: dict[str, object]
) -> None:
    await client.call("createAccount", "main")
    before = await synced_state(client)
    event = {"eventId": "e", "type": kind, "recordId": record_id, "data": data}
    [result] = await client.call("submitEvents", "main", [event])
    entity = kind.split(".")[0]
    assert result["error"] == {
        "code": -32602,
        "message": f"Event #1 (e): A new {entity} gets its id from the daemon (the result names "
        f'it): send the event without a recordId, not "{record_id}"',
    }
    assert await synced_state(client) == before
    [created] = await client.call(
        "submitEvents", "main", [{**event, "eventId": "f"} | {"recordId": None}]
    )
    assert created["status"] == "applied"


@pytest.mark.parametrize(
    ("kind", "data"), [("transaction.add", SWAP), ("tag.create", {"name": "otc"})]
)
@pytest.mark.parametrize("version", [5, 0])
async def test_an_event_that_creates_its_record_takes_no_version(
    client: DaemonClient, kind: str, data: dict[str, object], version: int
) -> None:
    await client.call("createAccount", "main")
    before = await synced_state(client)
    event = {"eventId": "e", "type": kind, "version": version, "data": data}
    [result] = await client.call("submitEvents", "main", [event])
    entity = kind.split(".")[0]
    assert result == {
        "eventId": "e",
        "status": "error",
        "error": {
            "code": -32602,
            "message": f"Event #1 (e): A new {entity} gets its version from the daemon (the "
            f"result names it): send the event without a version, not {version}",
        },
    }
    assert await synced_state(client) == before
    [created] = await client.call(
        "submitEvents", "main", [{**event, "eventId": "f"} | {"version": None}]
    )
    assert created["status"] == "applied"
