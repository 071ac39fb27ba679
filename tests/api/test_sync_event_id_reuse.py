"""An eventId sent again with another event is refused; the same event again is a duplicate,
and so is any event whose result was kept before results had fingerprints (migration 0010)."""

import hashlib
import sqlite3
from typing import Any

import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP


def tag_create(event_id: str, name: str) -> dict[str, Any]:
    return {"eventId": event_id, "type": "tag.create", "data": {"name": name}}


async def test_an_event_id_used_again_for_another_event_is_refused(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    add = {"eventId": "dup-1", "type": "transaction.add", "data": SWAP}
    [first] = await client.call("submitEvents", "main", [add])
    assert first["status"] == "applied"

    [again] = await client.call("submitEvents", "main", [add])
    assert again == {**first, "duplicate": True}
    [other] = await client.call("submitEvents", "main", [tag_create("dup-1", "zzz")])
    assert other == {
        "eventId": "dup-1",
        "status": "error",
        "error": {
            "code": -32602,
            "message": 'Event #1 (dup-1): eventId "dup-1" was already used for a different event',
        },
    }
    assert await client.call("getTags", "main") == []


async def test_within_one_batch_too(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    batch = [tag_create("x1", "A"), tag_create("x1", "B"), tag_create("x1", "A")]
    results = await client.call("submitEvents", "main", batch, {"mode": "independent"})
    assert [(r["status"], r.get("duplicate")) for r in results] == [
        ("applied", None),
        ("error", None),
        ("applied", True),
    ]
    assert results[1]["error"]["message"] == (
        'Event #2 (x1): eventId "x1" was already used for a different event'
    )
    assert await client.call("getTags", "main") == [{"id": 1, "name": "A"}]


async def test_the_same_event_in_another_key_order_is_a_duplicate(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    event = {"eventId": "p", "type": "transaction.patch", "recordId": "MANUAL_1"}
    data = {"notes": "n", "wallet": "w"}
    await client.call("submitEvents", "main", [{**event, "data": data}])
    reordered = {"data": dict(reversed(data.items())), **event}
    [result] = await client.call("submitEvents", "main", [reordered])
    assert result["duplicate"] is True


async def test_a_result_kept_without_a_fingerprint_stays_a_duplicate(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    [first] = await client.call("submitEvents", "main", [tag_create("old", "A")])
    database = daemon.config.data_dir / "databases" / "main.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE sync_events SET fingerprint = NULL")
    [again] = await client.call("submitEvents", "main", [tag_create("old", "B")])
    assert again == {**first, "duplicate": True}


async def test_the_same_settings_edit_with_or_without_its_record_id_is_a_duplicate(
    client: DaemonClient,
) -> None:
    """docs/sync.md: the settings record's id may be written out or left out; ``15.0`` is 15."""
    await client.call("createAccount", "main")
    edit = {"eventId": "s1", "type": "settings.patch", "data": {"networthRefreshInterval": 15}}
    [first] = await client.call("submitEvents", "main", [edit])
    assert first["status"] == "applied"

    again = {**edit, "recordId": "settings", "data": {"networthRefreshInterval": 15.0}}
    [result] = await client.call("submitEvents", "main", [again])

    assert result == {**first, "duplicate": True}


async def test_a_version_written_as_a_whole_float_is_that_version(client: DaemonClient) -> None:
    """docs/sync.md: ``15.0`` is 15, in ``version`` as in ``data``."""
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a"])
    rename = {"eventId": "r1", "type": "tag.rename", "recordId": "1", "version": 1.0}
    [first] = await client.call("submitEvents", "main", [rename | {"data": {"name": "b"}}])
    assert (first["status"], first["version"], first["record"]) == (
        "applied",
        2,
        {"id": 1, "name": "b"},
    )

    [again] = await client.call(
        "submitEvents", "main", [rename | {"version": 1, "data": {"name": "b"}}]
    )
    assert again == {**first, "duplicate": True}
    stale = {**rename, "eventId": "r2", "version": 1.0, "data": {"name": "c"}}
    [conflict] = await client.call("submitEvents", "main", [stale])
    assert (conflict["status"], conflict["error"]["message"]) == (
        "conflict",
        "Event #1 (r2): The record is at version 2, not 1",
    )


async def test_an_event_kept_before_canonical_fingerprints_stays_a_duplicate(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A result kept with the fingerprint of the event as it was sent (before an upgrade)."""
    await client.call("createAccount", "main")
    edit = {"eventId": "s", "type": "settings.patch", "data": {"kioskMode": False}}
    [first] = await client.call("submitEvents", "main", [edit])
    sent = ["settings.patch", None, None, {"kioskMode": False}]
    as_sent = hashlib.sha256(orjson.dumps(sent, option=orjson.OPT_SORT_KEYS)).hexdigest()
    database = daemon.config.data_dir / "databases" / "main.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE sync_events SET fingerprint = ?", (as_sent,))
    [again] = await client.call("submitEvents", "main", [edit])
    assert again == {**first, "duplicate": True}
