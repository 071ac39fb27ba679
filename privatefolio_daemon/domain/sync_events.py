"""Submitting sync events (design §7): idempotent edits from devices that may have been offline.

An event is ``{eventId, type, recordId?, version?, data?}``:

- ``eventId`` is chosen by the client, unique per edit. The result of an applied event is kept,
  and the same ``eventId`` again returns it (``duplicate: true``) without applying anything.
- ``version`` is the record version the client last saw. If it is given and the record has
  moved on, nothing changes and the result carries the current record (``conflict``).
- ``data`` holds the edit's fields. It is an object of its own because a transaction has a
  ``type`` of its own.

A batch is applied in one write transaction, each event within a savepoint of its own together
with its change and its kept result, so an event that fails leaves nothing behind. In
``stopOnFirstError`` mode (the default) the batch stops at the first event that fails or
conflicts: the events before it stay applied and the rest are ``skipped``. In ``independent``
mode every event is tried.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from privatefolio_daemon.domain.account_settings import SETTINGS_KEY, merge_settings
from privatefolio_daemon.domain.assets import AssetPatch, patch_asset
from privatefolio_daemon.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
)
from privatefolio_daemon.domain.manual_transactions import (
    ManualTransactionInput,
    TransactionPatch,
    add_manual,
    delete_transaction,
    is_manual,
    patch_transaction,
    update_manual,
)
from privatefolio_daemon.domain.synced_records import Entity, current_record
from privatefolio_daemon.domain.tags import checked_tag_name, rename_tag
from privatefolio_daemon.store import change_log
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.database import Database

Mode = Literal["stopOnFirstError", "independent"]
MODES: tuple[Mode, ...] = ("stopOnFirstError", "independent")
MAX_EVENTS = 1000
MAX_EVENT_ID_LENGTH = 200
_ASSET_FIELDS = frozenset({"favorite", "priceApiId", "name", "logoUrl", "coingeckoId"})

Announce = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Announcers:
    """What each kind of edit tells its listeners once committed (the domain objects' own)."""

    transaction_added: Callable[[Any], None]
    transaction_updated: Callable[[int], None]
    transaction_patched: Announce
    transaction_deleted: Callable[[str, int | None], None]
    asset_changed: Announce
    tags_changed: Callable[[str], None]
    settings_changed: Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Edit:
    """One applied edit: the record it touched and what to announce after the commit."""

    record_id: str
    announce: Announce


Handler = Callable[[sqlite3.Connection, str | None, dict[str, Any], Announcers], Edit]


@dataclass(frozen=True, slots=True)
class EventType:
    entity: Entity
    creates: bool
    handler: Handler


@dataclass(slots=True)
class EventOutcome:
    """A result for the client, with the domain error of a failed event kept apart."""

    result: dict[str, Any]
    error: DomainError | None = None
    announce: Announce | None = None

    @property
    def stops_batch(self) -> bool:
        return self.result["status"] in ("conflict", "error")


def _require_manual(record_id: str) -> str:
    if not is_manual(record_id):
        raise InvalidInputError(
            f"{record_id} is not a manual transaction: only manual transactions are synced"
        )
    return record_id


def _add_transaction(
    connection: sqlite3.Connection, _: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    tx = add_manual(connection, cast(ManualTransactionInput, data))
    return Edit(tx.id, lambda: tell.transaction_added(tx))


def _update_transaction(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    tx_id = _require_manual(_required_id(record_id))
    oldest = update_manual(connection, tx_id, cast(ManualTransactionInput, data))
    return Edit(tx_id, lambda: tell.transaction_updated(oldest))


def _patch_transaction(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    tx_id = _require_manual(_required_id(record_id))
    patch_transaction(connection, tx_id, cast(TransactionPatch, data))
    return Edit(tx_id, tell.transaction_patched)


def _delete_transaction(
    connection: sqlite3.Connection, record_id: str | None, _: dict[str, Any], tell: Announcers
) -> Edit:
    tx_id = _require_manual(_required_id(record_id))
    oldest = delete_transaction(connection, tx_id)[1]
    return Edit(tx_id, lambda: tell.transaction_deleted(tx_id, oldest))


def _patch_asset(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    asset_id = _required_id(record_id)
    unknown = sorted(set(data) - _ASSET_FIELDS)
    if unknown:
        raise InvalidInputError(
            f"An asset patch cannot set {', '.join(unknown)}: expected "
            f"{', '.join(sorted(_ASSET_FIELDS))}"
        )
    patch_asset(connection, asset_id, cast(AssetPatch, data))
    return Edit(asset_id, tell.asset_changed)


def _create_tag(
    connection: sqlite3.Connection, _: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    row, created = tag_store.ensure_tag(connection, checked_tag_name(_text(data, "name")))
    return Edit(str(row[0]), (lambda: tell.tags_changed("created")) if created else _nothing)


def _rename_tag(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    tag_id = _tag_id(record_id)
    if not rename_tag(connection, tag_id, checked_tag_name(_text(data, "name"))):
        raise NotFoundError(f"Tag {tag_id} does not exist")
    return Edit(str(tag_id), lambda: tell.tags_changed("updated"))


def _delete_tag(
    connection: sqlite3.Connection, record_id: str | None, _: dict[str, Any], tell: Announcers
) -> Edit:
    tag_id = _tag_id(record_id)
    if not tag_store.delete_tag(connection, tag_id):
        raise NotFoundError(f"Tag {tag_id} does not exist")
    return Edit(str(tag_id), lambda: tell.tags_changed("deleted"))


def _patch_settings(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    if record_id not in (None, SETTINGS_KEY):
        raise InvalidInputError(f'The settings record is "{SETTINGS_KEY}", not "{record_id}"')
    merged = merge_settings(connection, data)
    return Edit(SETTINGS_KEY, lambda: tell.settings_changed(merged))


def _nothing() -> None:
    return None


EVENT_TYPES: dict[str, EventType] = {
    "transaction.add": EventType("transaction", True, _add_transaction),
    "transaction.update": EventType("transaction", False, _update_transaction),
    "transaction.patch": EventType("transaction", False, _patch_transaction),
    "transaction.delete": EventType("transaction", False, _delete_transaction),
    "asset.patch": EventType("asset", False, _patch_asset),
    "tag.create": EventType("tag", True, _create_tag),
    "tag.rename": EventType("tag", False, _rename_tag),
    "tag.delete": EventType("tag", False, _delete_tag),
    "settings.patch": EventType("settings", False, _patch_settings),
}


def _required_id(record_id: str | None) -> str:
    if not record_id:
        raise InvalidInputError("This event needs a recordId")
    return record_id


def _tag_id(record_id: str | None) -> int:
    text = _required_id(record_id)
    if not text.isdigit():
        raise InvalidInputError(f'A tag recordId is its number, not "{text}"')
    return int(text)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"data.{name} must be a string")
    return value


@dataclass(frozen=True, slots=True)
class SyncEvent:
    event_id: str
    type: EventType
    record_id: str | None
    version: int | None
    data: dict[str, Any]


def parse_event(raw: Any, position: int) -> SyncEvent:
    """Check one submitted event; the message names its position and what is wrong."""
    where = f"Event #{position + 1}"
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where} must be an object")
    event_id = raw.get("eventId")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID_LENGTH:
        raise InvalidInputError(
            f"{where} needs an eventId: a string of 1 to {MAX_EVENT_ID_LENGTH} characters"
        )
    kind = EVENT_TYPES.get(str(raw.get("type")))
    if kind is None:
        raise InvalidInputError(
            f'{where} ({event_id}) has an unknown type "{raw.get("type")}": expected one of '
            f"{', '.join(EVENT_TYPES)}"
        )
    record_id, version, data = raw.get("recordId"), raw.get("version"), raw.get("data", {})
    if record_id is not None and not isinstance(record_id, str):
        raise InvalidInputError(f"{where} ({event_id}): recordId must be a string")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or version < 0
    ):
        raise InvalidInputError(f"{where} ({event_id}): version must be a whole number from 0")
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where} ({event_id}): data must be an object")
    return SyncEvent(event_id, kind, record_id, version, data)


def apply_event(connection: sqlite3.Connection, event: SyncEvent, tell: Announcers) -> EventOutcome:
    """Apply one event inside the caller's transaction, or say why it was not applied."""
    kept = change_log.accepted_result(connection, event.event_id)
    if kept is not None:
        return EventOutcome({**kept, "duplicate": True})
    entity = event.type.entity
    if event.version is not None:
        conflict = _conflict(connection, event, entity)
        if conflict is not None:
            return conflict
    before = change_log.last_seq(connection)
    edit = event.type.handler(connection, event.record_id, event.data, tell)
    change_log.mark_changes_since(connection, before, event.event_id)
    result = {
        "eventId": event.event_id,
        "status": "applied",
        "entity": entity,
        "recordId": edit.record_id,
        "version": change_log.version_of(connection, entity, edit.record_id),
        "record": current_record(connection, entity, edit.record_id),
    }
    change_log.remember_result(connection, event.event_id, result)
    return EventOutcome(result, announce=edit.announce)


def _conflict(
    connection: sqlite3.Connection, event: SyncEvent, entity: Entity
) -> EventOutcome | None:
    record_id = None if event.type.creates else event.record_id
    if record_id is None and entity == "settings":
        record_id = SETTINGS_KEY
    current = 0 if record_id is None else change_log.version_of(connection, entity, record_id)
    if current == event.version:
        return None
    return EventOutcome(
        {
            "eventId": event.event_id,
            "status": "conflict",
            "entity": entity,
            "recordId": record_id,
            "version": current,
            "record": None if record_id is None else current_record(connection, entity, record_id),
        },
        error=ConflictError(f"The record is at version {current}, not {event.version}"),
    )


def failed(event_id: str | None, error: DomainError) -> EventOutcome:
    return EventOutcome({"eventId": event_id, "status": "error"}, error=error)


def skipped(event_id: str | None) -> EventOutcome:
    return EventOutcome({"eventId": event_id, "status": "skipped"})


class SyncEvents:
    def __init__(self, db: Database, announcers: Announcers) -> None:
        self._db = db
        self._tell = announcers

    async def submit(self, raw_events: list[Any], mode: Mode) -> list[EventOutcome]:
        """Apply the events in one write transaction, each within a savepoint of its own."""
        if len(raw_events) > MAX_EVENTS:
            raise InvalidInputError(
                f"At most {MAX_EVENTS} events per call, not {len(raw_events)}: send them in parts"
            )
        outcomes = await self._db.transaction(
            lambda connection: apply_batch(connection, raw_events, mode, self._tell)
        )
        for outcome in outcomes:
            if outcome.announce is not None:
                outcome.announce()
        return outcomes


def apply_batch(
    connection: sqlite3.Connection, raw_events: list[Any], mode: Mode, tell: Announcers
) -> list[EventOutcome]:
    outcomes: list[EventOutcome] = []
    stopped = False
    for position, raw in enumerate(raw_events):
        if stopped:
            outcomes.append(skipped(_event_id_of(raw)))
            continue
        outcome = _apply_alone(connection, raw, position, tell)
        outcomes.append(outcome)
        stopped = outcome.stops_batch and mode == "stopOnFirstError"
    return outcomes


def _apply_alone(
    connection: sqlite3.Connection, raw: Any, position: int, tell: Announcers
) -> EventOutcome:
    """One event, all or nothing: a failure rolls back to the savepoint taken before it."""
    connection.execute("SAVEPOINT sync_event")
    try:
        outcome = apply_event(connection, parse_event(raw, position), tell)
    except DomainError as error:
        connection.execute("ROLLBACK TO sync_event")
        outcome = failed(_event_id_of(raw), error)
    connection.execute("RELEASE sync_event")
    return outcome


def _event_id_of(raw: Any) -> str | None:
    event_id = raw.get("eventId") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) else None
