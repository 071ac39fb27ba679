"""The records that devices keep in sync (design §7), read as the change feed carries them.

- ``transaction``: a manual transaction (``MANUAL_<n>``), its wire form;
- ``asset``: the preferences stored for an asset (favourite, price API, name, logo, coingeckoId);
- ``tag``: ``{id, name}``, the record id being the tag id as text;
- ``settings``: the account settings merged over their defaults, record id ``settings``;
- ``value``: ``{key, value}`` of a key-value entry the frontend stores for the user with
  ``setValue`` (the address book, the assistant's API URL);
- ``connection``: a connection as ``getConnections`` returns it (no secret, the API key masked).
  Connections are in the feed but not edited through events: their secrets go to
  ``upsertConnections`` only;
- ``tagging``: the tags of one audit log, transaction or trade, ``{kind, itemId, tagIds}``, record
  id ``<kind>:<item id>``; imported items included, since a user tags them by hand.

Imported ledger rows are not synced: they come from files and connections on the daemon, and
clients query them.
"""

import sqlite3
from typing import Any, Literal

from privatefolio_daemon.domain.account_settings import SETTINGS_KEY, stored_settings
from privatefolio_daemon.domain.ledger_rows import transaction_from_row
from privatefolio_daemon.domain.manual_transactions import manual_record
from privatefolio_daemon.store.assets import synced_asset
from privatefolio_daemon.store.change_log import versions_of
from privatefolio_daemon.store.connections import (
    connection_to_wire,
    read_connection,
    read_connections,
)
from privatefolio_daemon.store.synced_values import SYNCED_VALUE_KEYS, value_record
from privatefolio_daemon.store.tags import (
    all_taggings,
    parse_tagging_id,
    tag_to_wire,
    tagging_record,
)

Entity = Literal["transaction", "asset", "tag", "settings", "value", "connection", "tagging"]
ENTITIES: tuple[Entity, ...] = (
    "transaction", "asset", "tag", "settings", "value", "connection", "tagging",
)  # fmt: skip


def current_record(connection: sqlite3.Connection, entity: Entity, record_id: str) -> Any:
    """The record as it is now, or ``None`` if it does not exist."""
    if entity == "transaction":
        return manual_record(connection, record_id)
    if entity == "asset":
        return synced_asset(connection, record_id)
    if entity == "tag":
        row = (
            connection.execute(
                "SELECT id, name FROM tags WHERE id = ?", (int(record_id),)
            ).fetchone()
            if record_id.isdigit()
            else None
        )
        return None if row is None else tag_to_wire(row)
    if entity == "value":
        return value_record(connection, record_id) if record_id in SYNCED_VALUE_KEYS else None
    if entity == "connection":
        row = read_connection(connection, record_id)
        return None if row is None else connection_to_wire(row)
    if entity == "tagging":
        item = parse_tagging_id(record_id)
        return None if item is None else tagging_record(connection, *item)
    return stored_settings(connection) if record_id == SETTINGS_KEY else None


#: The tables each entity's records are read from.
TABLES_OF: dict[Entity, frozenset[str]] = {
    "transaction": frozenset({"transactions"}),
    "asset": frozenset({"assets"}),
    "tag": frozenset({"tags"}),
    "settings": frozenset({"key_value"}),
    "value": frozenset({"key_value"}),
    "connection": frozenset({"connections"}),
    "tagging": frozenset({"audit_log_tags", "transaction_tags", "trade_tags"}),
}

SyncedRecords = dict[Entity, dict[str, Any]]
"""Records by entity, then by record id."""
SyncedChange = tuple[Entity, str, Any]
"""An entity, a record id and the record now (``None``: deleted)."""


def entities_in(tables: frozenset[str]) -> tuple[Entity, ...]:
    """The entities whose records a change to ``tables`` may change."""
    return tuple(entity for entity in ENTITIES if TABLES_OF[entity] & tables)


def all_records(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every synced record with its version (0 for one unchanged since sync began)."""
    snapshot: list[dict[str, Any]] = []
    for entity in ENTITIES:
        versions = versions_of(connection, entity)
        snapshot.extend(
            {
                "entity": entity,
                "recordId": record_id,
                "version": versions.get(record_id, 0),
                "record": record,
            }
            for record_id, record in _records_of(connection, entity)
        )
    return snapshot


def read_records(connection: sqlite3.Connection, entities: tuple[Entity, ...]) -> SyncedRecords:
    return {entity: dict(_records_of(connection, entity)) for entity in entities}


def changed_records(before: SyncedRecords, after: SyncedRecords) -> list[tuple[Entity, str, Any]]:
    """``(entity, record id, record now)`` of each record that differs (``None``: deleted)."""
    changed: list[tuple[Entity, str, Any]] = []
    for entity, records in after.items():
        was = before[entity]
        changed.extend(
            (entity, record_id, record)
            for record_id, record in records.items()
            if was.get(record_id) != record
        )
        changed.extend((entity, record_id, None) for record_id in was.keys() - records.keys())
    return changed


def _records_of(connection: sqlite3.Connection, entity: Entity) -> list[tuple[str, Any]]:
    if entity == "transaction":
        manual = connection.execute(
            "SELECT * FROM transactions WHERE id LIKE 'MANUAL!_%' ESCAPE '!' ORDER BY importIndex"
        )
        return [(row[0], transaction_from_row(row).to_wire()) for row in manual]
    if entity == "asset":
        assets = connection.execute("SELECT id FROM assets ORDER BY id").fetchall()
        return [(asset_id, synced_asset(connection, asset_id)) for (asset_id,) in assets]
    if entity == "tag":
        tags = connection.execute("SELECT id, name FROM tags ORDER BY id").fetchall()
        return [(str(row[0]), tag_to_wire(row)) for row in tags]
    if entity == "settings":
        return [(SETTINGS_KEY, stored_settings(connection))]
    if entity == "value":
        return [
            (key, record)
            for key in SYNCED_VALUE_KEYS
            if (record := value_record(connection, key)) is not None
        ]
    if entity == "connection":
        return [(row[0], connection_to_wire(row)) for row in read_connections(connection)]
    return all_taggings(connection)
