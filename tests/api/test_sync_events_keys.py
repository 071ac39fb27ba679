"""An event is ``{eventId, type, recordId?, version?, data?}``: another key is refused, naming it,
so that a misspelt ``Version`` is no blind overwrite and a field beside ``type`` no silent no-op;
a key sent as ``null`` is one left out, whichever it is."""

from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP
from tests.conftest import Connect

KEYS = "its keys are: eventId, type, recordId, version, data; the edit's fields go in data"


async def _edited_transaction(client: DaemonClient) -> dict[str, Any]:
    """MANUAL_1, edited once since it was added: it is at a version above 0."""
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("patchTransaction", "main", "MANUAL_1", {"notes": "edited"})
    snapshot: dict[str, Any] = await client.call("getSnapshot", "main")
    return snapshot


async def test_a_key_an_event_does_not_have_is_refused_by_name(
    client: DaemonClient, connect: Connect
) -> None:
    before = await _edited_transaction(client)
    patch = {"type": "transaction.patch", "recordId": "MANUAL_1"}
    batch = [
        {"eventId": "mis3", **patch, "Version": 0, "data": {"notes": "stale edit"}},
        {"eventId": "beside", **patch, "notes": "beside type"},
        {"eventId": "interval", "type": "settings.patch", "backupInterval": 5},
    ]
    standard = await connect("jsonrpc")
    results = [
        *await client.call("submitEvents", "main", batch, {"mode": "independent"}),
        *await standard.call("submitEvents", "main", batch[:1]),
    ]

    assert [(r["status"], r["error"]["code"], r["error"]["message"]) for r in results] == [
        ("error", -32602, f"Event #1 (mis3): an event has no key 'Version' ({KEYS})"),
        ("error", -32602, f"Event #2 (beside): an event has no key 'notes' ({KEYS})"),
        ("error", -32602, f"Event #3 (interval): an event has no key 'backupInterval' ({KEYS})"),
        ("error", -32602, f"Event #1 (mis3): an event has no key 'Version' ({KEYS})"),
    ]
    assert await client.call("getSnapshot", "main") == before
    assert (await client.call("getTransaction", "main", "MANUAL_1"))["notes"] == "edited"


async def test_a_key_sent_as_null_is_one_left_out(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    nulls = {"recordId": None, "version": None, "data": None}
    batch = [
        {"eventId": "create", "type": "tag.create", **nulls, "data": {"name": "otc"}},
        {"eventId": "delete", "type": "tag.delete", **nulls, "recordId": "1"},
        {"eventId": "settings", "type": "settings.patch", **nulls},
        {"eventId": "nameless", "type": "tag.create", **nulls},
    ]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    without = [{k: v for k, v in event.items() if v is not None} for event in batch]
    again = await client.call("submitEvents", "main", without[:3])

    assert [(r["status"], r.get("recordId"), r.get("error")) for r in results] == [
        ("applied", "1", None),
        ("applied", "1", None),
        ("applied", "settings", None),
        ("error", None, {"code": -32602, "message": "Event #4 (nameless): data.name is required"}),
    ]
    assert [r.get("duplicate") for r in again] == [True, True, True]
    assert await client.call("getTags", "main") == []
