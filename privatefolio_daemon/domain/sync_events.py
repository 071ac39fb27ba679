"""Submitting sync events (design §7): idempotent edits from devices that may have been offline.

An event is ``{eventId, type, recordId?, version?, data?}``, a key left out or ``null`` alike;
another key is refused (a misspelt ``Version`` would make a checked edit a blind one):

- ``eventId`` is chosen by the client, unique per edit. The result of an applied event is kept,
  and the same event again returns it (``duplicate: true``) without applying anything; another
  event with that ``eventId`` is refused.
- ``version`` is the record version the client last saw. If it is given and the record has
  moved on, nothing changes and the result carries the current record (``conflict``). A record
  the edit needs (a tag, a manual transaction, a tagged item) that never was is not found,
  whatever the version.
- An event that deletes or unassigns something already deleted (another device got there
  first) is applied without a change, whatever its ``version``: what it asks for holds.
- ``data`` holds the edit's fields. It is an object of its own because a transaction has a
  ``type`` of its own.

A batch is applied in one write transaction, each event within a savepoint of its own together
with its change and its kept result, so an event that fails leaves nothing behind. In
``stopOnFirstError`` mode (the default) the batch stops at the first event that fails or
conflicts: the events before it stay applied and the rest are ``skipped``. In ``independent``
mode every event is tried.
"""

import copy
import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import orjson

from privatefolio_daemon.domain.account_settings import SETTINGS_KEY
from privatefolio_daemon.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    shortened,
)
from privatefolio_daemon.domain.sync_event_types import (
    EVENT_TYPES,
    Announce,
    Announcers,
    EventType,
    check_event,
)
from privatefolio_daemon.domain.synced_records import Entity, current_record
from privatefolio_daemon.store import change_log
from privatefolio_daemon.store.database import Database

Mode = Literal["stopOnFirstError", "independent"]
MAX_EVENTS = 1000
MAX_EVENT_ID_LENGTH = 200
EVENT_KEYS = ("eventId", "type", "recordId", "version", "data")


@dataclass(slots=True)
class EventOutcome:
    """A result for the client, with the domain error of a failed event kept apart."""

    result: dict[str, Any]
    error: DomainError | None = None
    announce: Announce | None = None

    @property
    def stops_batch(self) -> bool:
        return self.result["status"] in ("conflict", "error")


@dataclass(frozen=True, slots=True)
class SyncEvent:
    event_id: str
    type: EventType
    record_id: str | None
    version: int | None
    data: dict[str, Any]
    fingerprint: str
    """What the event is: the same eventId with another fingerprint is another event. The
    settings record's id written out or left out, and ``1.0`` for ``1``, are the same event."""
    fingerprint_as_sent: str
    """The fingerprint kept for an event before it was made canonical (an event sent again
    after an upgrade is still its duplicate)."""


DataCheck = Callable[[EventType, dict[str, Any]], str | None]
"""The problem with an event's ``data`` for its type (``data.wallet must be a string``), if any."""


def no_data_check(_kind: EventType, _data: dict[str, Any]) -> str | None:
    return None


def parse_event(raw: Any, check_data: DataCheck = no_data_check) -> SyncEvent:
    """Check one submitted event; the message says what is wrong (the batch names the event)."""
    if not isinstance(raw, dict):
        raise InvalidInputError("an event must be an object")
    _refuse_other_keys(raw)
    event_id = _valid_event_id(raw.get("eventId"))
    if event_id is None:
        raise InvalidInputError(
            f"eventId must be a string of 1 to {MAX_EVENT_ID_LENGTH} characters"
        )
    kind = EVENT_TYPES.get(str(raw.get("type")))
    if kind is None:
        raise InvalidInputError(
            f'the type "{raw.get("type")}" is unknown: expected one of {", ".join(EVENT_TYPES)}'
        )
    record_id = raw.get("recordId")
    data = {} if raw.get("data") is None else raw["data"]
    if record_id is not None and not isinstance(record_id, str):
        raise InvalidInputError("recordId must be a string")
    version = _version(raw.get("version"))
    problem = check_data(kind, data) if isinstance(data, dict) else "data must be an object"
    if problem is not None:
        raise InvalidInputError(problem)
    canonical_id = SETTINGS_KEY if kind.entity == "settings" and record_id is None else record_id
    canonical = [raw.get("type"), canonical_id, version, _whole_numbers(data)]
    sent = [raw.get("type"), record_id, version, data]
    return SyncEvent(
        event_id, kind, record_id, version, data, _fingerprint(canonical), _fingerprint(sent)
    )


def _refuse_other_keys(raw: dict[str, Any]) -> None:
    """A key the daemon would not read: the edit's fields go in ``data``."""
    for key in raw:
        if key not in EVENT_KEYS:
            raise InvalidInputError(
                f"an event has no key {shortened(key)!r} (its keys are: {', '.join(EVENT_KEYS)}; "
                "the edit's fields go in data)"
            )


MAX_VERSION = 2**63 - 1


def _version(sent: Any) -> int | None:
    """The version an event names, a whole number written ``15`` or ``15.0``, if it names one;
    at most SQLite's largest integer, as versions are stored."""
    version = int(sent) if isinstance(sent, float) and sent.is_integer() else sent
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION
    ):
        raise InvalidInputError(f"version must be a whole number from 0 to {MAX_VERSION}")
    return version


def _fingerprint(event: list[Any]) -> str:
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _whole_numbers(value: Any) -> Any:
    """``value`` with each whole float written as an integer (JSON's ``1.0`` is ``1``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def apply_event(connection: sqlite3.Connection, event: SyncEvent, tell: Announcers) -> EventOutcome:
    """Apply one event inside the caller's transaction, or say why it was not applied.

    An edit that leaves its record as it was is undone, so that it makes no change and the
    record keeps its version: a device's edit made on that version still applies."""
    kept = change_log.accepted_result(connection, event.event_id)
    if kept is not None:
        return _duplicate(event, *kept)
    check_event(event.type, event.record_id, event.version, event.data)
    entity, target = event.type.entity, _target_of(event)
    if (
        event.type.removes
        and target is not None
        and change_log.is_deleted(connection, entity, target)
    ):
        return _applied(connection, event, entity, target, None)
    if event.version is not None and target is not None:  # a new record takes no version
        _refuse_what_never_was(connection, event, entity, target)
        conflict = _conflict(connection, event, entity, target)
        if conflict is not None:
            return conflict
    before = None if target is None else current_record(connection, entity, target)
    first_seq = change_log.last_seq(connection)
    connection.execute("SAVEPOINT sync_edit")
    edit = event.type.handler(connection, event.record_id, event.data, tell)
    record = current_record(connection, entity, edit.record_id)
    unchanged = target is not None and _same_wire(record, before)
    if unchanged and not edit.keep:
        connection.execute("ROLLBACK TO sync_edit")
    connection.execute("RELEASE sync_edit")
    change_log.mark_changes_since(connection, first_seq, event.event_id)
    announce = None if unchanged else edit.announce
    return _applied(connection, event, entity, edit.record_id, record, announce)


def _applied(
    connection: sqlite3.Connection,
    event: SyncEvent,
    entity: Entity,
    record_id: str,
    record: Any,
    announce: Announce | None = None,
) -> EventOutcome:
    """The event's result, kept for a resend; ``announce`` is None where nothing changed."""
    result = {
        "eventId": event.event_id,
        "status": "applied",
        "entity": entity,
        "recordId": record_id,
        "version": change_log.version_of(connection, entity, record_id),
        "record": record,
    }
    change_log.remember_result(connection, event.event_id, result, event.fingerprint)
    return EventOutcome(result, announce=announce)


def _duplicate(event: SyncEvent, kept: dict[str, Any], fingerprint: str | None) -> EventOutcome:
    """The kept result again; a result kept before fingerprints (migration 0010) has none."""
    if fingerprint is not None and fingerprint not in (
        event.fingerprint,
        event.fingerprint_as_sent,
    ):
        raise InvalidInputError(
            f'eventId "{event.event_id}" was already used for a different event'
        )
    return EventOutcome({**kept, "duplicate": True})


def _target_of(event: SyncEvent) -> str | None:
    """The id of the record the event edits, known before it applies unless it creates one."""
    if event.type.creates:
        return None
    if event.record_id is None and event.type.entity == "settings":
        return SETTINGS_KEY
    return event.record_id


def _same_wire(record: Any, other: Any) -> bool:
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        other, option=orjson.OPT_SORT_KEYS
    )


def _refuse_what_never_was(
    connection: sqlite3.Connection, event: SyncEvent, entity: Entity, record_id: str
) -> None:
    """A version is one of the record's states: for a record the edit needs that does not exist
    and was never deleted, it is not found (-32002), as without a version, not at version 0."""
    if event.type.needs is not None and not change_log.is_deleted(connection, entity, record_id):
        event.type.needs(connection, record_id)


def _conflict(
    connection: sqlite3.Connection, event: SyncEvent, entity: Entity, record_id: str
) -> EventOutcome | None:
    current = change_log.version_of(connection, entity, record_id)
    if current == event.version:
        return None
    return EventOutcome(
        {
            "eventId": event.event_id,
            "status": "conflict",
            "entity": entity,
            "recordId": record_id,
            "version": current,
            "record": current_record(connection, entity, record_id),
        },
        error=ConflictError(f"The record is at version {current}, not {event.version}"),
    )


def failed(event_id: str | None, error: DomainError) -> EventOutcome:
    return EventOutcome({"eventId": event_id, "status": "error"}, error=error)


def skipped(event_id: str | None) -> EventOutcome:
    return EventOutcome({"eventId": event_id, "status": "skipped"})


class SyncEvents:
    def __init__(
        self, db: Database, announcers: Announcers, check_data: DataCheck = no_data_check
    ) -> None:
        self._db = db
        self._tell = announcers
        self._check_data = check_data

    async def submit(
        self, raw_events: list[Any], mode: Mode, known_feed_id: str | None = None
    ) -> list[EventOutcome]:
        """Apply the events in one write transaction, each within a savepoint of its own.

        A ``known_feed_id`` that is not the feed's refuses them all. It is checked in the write
        transaction, so calls are applied in the order they came, with no write in between."""
        if len(raw_events) > MAX_EVENTS:
            raise InvalidInputError(
                f"At most {MAX_EVENTS} events per call, not {len(raw_events)}: send them in parts"
            )

        def apply(connection: sqlite3.Connection) -> list[EventOutcome]:
            if known_feed_id is not None:
                _refuse_another_feed(connection, known_feed_id)
            return apply_batch(connection, raw_events, mode, self._tell, self._check_data)

        outcomes = await self._db.transaction(apply)
        for outcome in outcomes:
            if outcome.announce is not None:
                outcome.announce()
        return outcomes


def _refuse_another_feed(connection: sqlite3.Connection, known_feed_id: str) -> None:
    """The events were made on ``known_feed_id``: the account was reset or restored since if
    its feed is another."""
    current = change_log.feed_id(connection)
    if known_feed_id != current:
        raise ConflictError(
            f"The account was reset or restored since feed {known_feed_id}: read a new "
            "snapshot (getSnapshot), then send the events that still apply",
            latest={"feedId": current},
        )


def apply_batch(
    connection: sqlite3.Connection,
    raw_events: list[Any],
    mode: Mode,
    tell: Announcers,
    check_data: DataCheck = no_data_check,
) -> list[EventOutcome]:
    outcomes: list[EventOutcome] = []
    stopped = False
    for position, raw in enumerate(raw_events):
        if stopped:
            outcomes.append(skipped(_event_id_of(raw)))
            continue
        outcome = _apply_alone(connection, raw, position, tell, check_data)
        outcomes.append(outcome)
        stopped = outcome.stops_batch and mode == "stopOnFirstError"
    return outcomes


def _apply_alone(
    connection: sqlite3.Connection,
    raw: Any,
    position: int,
    tell: Announcers,
    check_data: DataCheck,
) -> EventOutcome:
    """One event, all or nothing: a failure rolls back to the savepoint taken before it."""
    connection.execute("SAVEPOINT sync_event")
    try:
        outcome = apply_event(connection, parse_event(raw, check_data), tell)
    except DomainError as error:
        connection.execute("ROLLBACK TO sync_event")
        outcome = failed(_event_id_of(raw), error)
    connection.execute("RELEASE sync_event")
    return _naming_the_event(outcome, raw, position)


def _naming_the_event(outcome: EventOutcome, raw: Any, position: int) -> EventOutcome:
    """The outcome with its error's message led by the event's position and id:
    ``Event #2 (phone-7): Tag 9 does not exist``."""
    if outcome.error is None:
        return outcome
    event_id = _valid_event_id(raw.get("eventId") if isinstance(raw, dict) else None)
    where = f"Event #{position + 1}" + ("" if event_id is None else f" ({event_id})")
    error = copy.copy(outcome.error)
    error.args = (f"{where}: {outcome.error}",)
    return replace(outcome, error=error)


def _event_id_of(raw: Any) -> str | None:
    event_id = raw.get("eventId") if isinstance(raw, dict) else None
    return event_id if isinstance(event_id, str) else None


def _valid_event_id(event_id: Any) -> str | None:
    if isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID_LENGTH:
        return event_id
    return None
