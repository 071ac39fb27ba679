"""Devices that edit offline and sync later converge (hypothesis, on random histories).

Each device keeps what it last read of the feed and sends edits built on it (tags and the
tagging of the transactions it knows of among them), so its versions go stale while others
write; it sends some batches twice, as a device unsure what went through does. Whatever the
history, a device that replays the feed from a snapshot holds exactly the final snapshot, every
event applies at most once, an edit with a version applies on top of exactly that version, and
a stale version changes nothing (a removal of what is deleted already is applied, unchanged).
"""

import sqlite3
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.change_feed import read_page, read_snapshot
from privatefolio_daemon.domain.sync_event_types import Announcers
from privatefolio_daemon.domain.sync_events import apply_batch
from privatefolio_daemon.store.database import in_transaction
from tests.memory_account import account_db

Key = tuple[str, str]
QUIET = Announcers(
    transaction_added=lambda tx: None,
    transaction_updated=lambda oldest: None,
    transaction_patched=lambda: None,
    transaction_deleted=lambda tx_id, oldest: None,
    asset_changed=lambda: None,
    listing_changed=lambda: None,
    price_source_changed=lambda prices: None,
    tags_changed=lambda cause: None,
    item_tagged=lambda kind, item_id: None,
    logs_tagged=lambda: None,
    settings_changed=lambda merged: None,
    value_set=lambda key, value: None,
)
BUY = {
    "type": "Buy", "timestamp": 1_700_000_000_000, "wallet": "Broker",
    "platformId": "app.generic", "incoming": "2", "incomingAsset": "stock:AAPL",
    "outgoing": "380", "outgoingAsset": "fiat:USD",
}  # fmt: skip


def records(snapshot: dict[str, Any]) -> dict[Key, tuple[int, Any]]:
    return {(r["entity"], r["recordId"]): (r["version"], r["record"]) for r in snapshot["records"]}


class Device:
    """What one device knows: the records and versions it read, up to ``seq``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        snapshot = read_snapshot(connection)
        self.state = records(snapshot)
        self.seq = snapshot["lastSeq"]
        self.sent = 0

    def catch_up(self, connection: sqlite3.Connection) -> None:
        while True:
            page = read_page(connection, self.seq, 7)
            for change in page["changes"]:
                key = (change["entity"], change["recordId"])
                if change["deleted"]:
                    self.state.pop(key, None)
                else:
                    self.state[key] = (change["version"], change["record"])
                self.seq = change["seq"]
            if not page["hasMore"]:
                return

    def known(self, entity: str, pick: int) -> tuple[str, int] | None:
        ids = sorted(record_id for kind, record_id in self.state if kind == entity)
        if not ids:
            return None
        record_id = ids[pick % len(ids)]
        return record_id, self.state[(entity, record_id)][0]

    def event(self, name: str, intent: tuple[str, int, int, bool]) -> dict[str, Any] | None:
        kind, pick, value, with_version = intent
        self.sent += 1
        event: dict[str, Any] = {"eventId": f"{name}-{self.sent}", "type": kind}
        if kind == "tag.create":
            event["data"] = {"name": f"tag {value % 4}"}
        elif kind == "transaction.add":
            event["data"] = BUY
        elif kind == "settings.patch":
            event["data"] = {"networthRefreshInterval": value + 1}
            event["recordId"] = "settings"
            if with_version:
                event["version"] = self.state[("settings", "settings")][0]
        elif kind == "value.set":
            event["recordId"] = "address_book"
            event["data"] = {"value": f'{{"0xabc": "wallet {value}"}}'}
            if with_version:
                event["version"] = self.state.get(("value", "address_book"), (0, None))[0]
        elif kind == "asset.patch":
            event["recordId"] = f"stock:{'ABC'[value % 3]}"
            event["data"] = {"favorite": value % 2 == 0}
            if with_version:
                event["version"] = self.state.get(("asset", event["recordId"]), (0, None))[0]
        elif kind.startswith("tagging."):
            target = self.known("transaction", pick)
            if target is None:
                return None
            event["recordId"] = f"transaction:{target[0]}"
            if kind == "tagging.assign":
                event["data"] = {"tagName": f"tag {value % 4}"}
            else:  # a tag the device sees on the item, if any
                seen = self.state.get(("tagging", event["recordId"]), (0, None))[1]
                tag_ids = seen["tagIds"] if seen else [value % 4 + 1]
                event["data"] = {"tagId": tag_ids[value % len(tag_ids)]}
            if with_version:
                event["version"] = self.state.get(("tagging", event["recordId"]), (0, None))[0]
        else:
            entity = kind.split(".")[0]
            target = self.known(entity, pick)
            if target is None:
                return None
            event["recordId"], version = target
            if with_version:
                event["version"] = version
            if kind == "tag.rename":
                event["data"] = {"name": f"renamed {value}"}
            elif kind == "transaction.patch":
                event["data"] = {"notes": f"note {value}"}
        return event


KINDS = [
    "tag.create", "tag.rename", "tag.delete", "transaction.add", "transaction.patch",
    "transaction.delete", "asset.patch", "settings.patch", "value.set", "tagging.assign",
    "tagging.unassign",
]  # fmt: skip
RECORDS_AN_EVENT_CHANGES = {"tagging.assign": 2, "transaction.delete": 2}
REMOVALS = {"transaction.delete", "tag.delete", "tagging.unassign"}
"""Events that change two records: a new tag and the item's tags; a tagged transaction and its
tags. Any other event changes one, so a count above these would be an event applied twice."""
intents = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 5),
    st.integers(0, 9),
    st.booleans(),
)
steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # which device
        st.lists(intents, min_size=0, max_size=4),  # a batch of offline edits
        st.booleans(),  # sent twice
        st.booleans(),  # reads the feed before its next batch
        st.sampled_from(["stopOnFirstError", "independent"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_offline_devices_converge_and_apply_each_event_once(history: list[Any]) -> None:
    with account_db() as connection:
        watcher = Device(connection)
        devices = [Device(connection) for _ in range(3)]
        applied: dict[str, dict[str, Any]] = {}
        types: dict[str, str] = {}
        for number, batch, twice, syncs, mode in history:
            device = devices[number]
            events = [e for e in (device.event(f"d{number}", i) for i in batch) if e is not None]
            types.update((event["eventId"], event["type"]) for event in events)
            versions = all_versions(connection)
            results = submit(connection, events, mode)
            check_results(events, [o.result for o in results], connection, versions, applied)
            if twice:
                again = submit(connection, events, mode)
                for event, outcome in zip(events, again, strict=True):
                    if event["eventId"] in applied:
                        assert outcome.result == {**applied[event["eventId"]], "duplicate": True}
            if syncs:
                device.catch_up(connection)

        final = read_snapshot(connection)
        watcher.catch_up(connection)
        assert watcher.seq == final["lastSeq"]
        assert watcher.state == records(final)
        marked = connection.execute(
            "SELECT eventId, COUNT(*) FROM sync_changes WHERE eventId IS NOT NULL GROUP BY eventId"
        ).fetchall()
        assert {event_id for event_id, _ in marked} <= set(applied)
        assert all(count <= RECORDS_AN_EVENT_CHANGES.get(types[e], 1) for e, count in marked)


def submit(connection: sqlite3.Connection, events: list[Any], mode: Any) -> list[Any]:
    return in_transaction(connection, lambda c: apply_batch(c, events, mode, QUIET))


def check_results(
    events: list[dict[str, Any]],
    results: list[dict[str, Any]],
    connection: sqlite3.Connection,
    versions: dict[Key, int],
    applied: dict[str, dict[str, Any]],
) -> None:
    """``versions``: every record's version before the batch (deleted ones too)."""
    after = records(read_snapshot(connection))
    for event, result in zip(events, results, strict=True):
        assert result["eventId"] == event["eventId"]
        if result["status"] not in ("applied", "conflict") or result.get("duplicate"):
            continue
        key = (result["entity"], result["recordId"])
        if result["status"] == "applied":
            applied[event["eventId"]] = result
            if "version" in event and versions.get(key, 0) != event["version"]:
                # Only a removal of a record deleted already applies over another version: as is.
                assert event["type"] in REMOVALS and result["record"] is None
                assert result["version"] == versions.get(key, 0)
                assert not connection.execute(
                    "SELECT 1 FROM sync_changes WHERE eventId = ?", (event["eventId"],)
                ).fetchall()
                continue
            versions[key] = result["version"]
            if event["type"] == "transaction.delete":  # which untags it, a change of its own
                untagged = ("tagging", f"transaction:{result['recordId']}")
                versions[untagged] = all_versions(connection).get(untagged, 0)
            continue
        assert result["version"] == versions.get(key, 0) != event["version"]
        assert not connection.execute(
            "SELECT 1 FROM sync_changes WHERE eventId = ?", (event["eventId"],)
        ).fetchall()
        if not _touched_later(events, event, key):
            if key in after:
                assert (result["version"], result["record"]) == after[key]
            else:
                assert result["record"] is None


def all_versions(connection: sqlite3.Connection) -> dict[Key, int]:
    rows = connection.execute("SELECT entity, recordId, seq FROM sync_changes")
    return {(entity, record_id): version for entity, record_id, version in rows}


def _touched_later(events: list[dict[str, Any]], event: dict[str, Any], key: Key) -> bool:
    later = events[events.index(event) + 1 :]
    touching = {key[1], key[1].partition(":")[2]} if key[0] == "tagging" else {key[1]}
    return any(e.get("recordId") in touching for e in later)
