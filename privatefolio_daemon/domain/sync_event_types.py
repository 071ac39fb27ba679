"""The kinds of sync event (design §7), each the edit of one kind of synced record.

A handler applies its edit inside the caller's transaction, through the same connection-level
functions the classic methods use (so the change is logged the same way), and says what to
announce once the transaction is committed.
"""

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from privatefolio_daemon.domain import asset_ids
from privatefolio_daemon.domain.account_settings import SETTINGS_KEY, merge_settings
from privatefolio_daemon.domain.assets import AssetPatch, patch_asset
from privatefolio_daemon.domain.errors import InvalidInputError, NotFoundError
from privatefolio_daemon.domain.invalidation import PriceInvalidation
from privatefolio_daemon.domain.manual_transactions import (
    ManualTransactionInput,
    TransactionPatch,
    add_manual,
    delete_transaction,
    existing_transaction,
    is_manual,
    patch_transaction,
    update_manual,
)
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.spam import SPAM_TAG
from privatefolio_daemon.domain.synced_records import Entity
from privatefolio_daemon.domain.tags import (
    TagChange,
    checked_tag_name,
    delete_tag,
    rename_tag,
    require_item,
    tag_by_hand,
    untag_by_hand,
)
from privatefolio_daemon.store import spam_detected
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.synced_values import SYNCED_VALUE_KEYS, value_written
from privatefolio_daemon.store.tags import TaggedKind

_ASSET_FIELDS = frozenset({"favorite", "priceApiId", "name", "logoUrl", "coingeckoId"})
SQLITE_MAX_INT = 2**63 - 1
_TAG_ID = re.compile(r"[1-9][0-9]*")

Announce = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Announcers:
    """What each kind of edit tells its listeners once committed (the domain objects' own)."""

    transaction_added: Callable[[Transaction], None]
    transaction_updated: Callable[[int], None]
    transaction_patched: Announce
    transaction_deleted: Callable[[str, int | None], None]
    asset_changed: Announce
    listing_changed: Announce
    price_source_changed: Callable[[PriceInvalidation], None]
    tags_changed: Callable[[str], None]
    item_tagged: Callable[[TaggedKind, str], None]
    logs_tagged: Announce
    """A transaction's "spam" tag went on or off its audit logs too."""
    settings_changed: Callable[[dict[str, Any]], None]
    value_set: Callable[[str, Any], None]


@dataclass(frozen=True, slots=True)
class Edit:
    """One applied edit: the record it touched and what to announce after the commit."""

    record_id: str
    announce: Announce
    keep: bool = False
    """Kept even if its record is unchanged: it changed something beside the record (a "spam"
    tag detection put on, now claimed as the user's; a transaction's "spam" tag put on its
    audit logs)."""


Handler = Callable[[sqlite3.Connection, str | None, dict[str, Any], Announcers], Edit]


@dataclass(frozen=True, slots=True)
class EventType:
    entity: Entity
    creates: bool
    handler: Handler
    data_type: Any
    """What ``data`` must be, as a type (the API checks it as it checks method parameters)."""
    bounds: Callable[[dict[str, Any]], object] | None = None
    """Refuses a value of ``data`` that no state of the account would take, before anything."""
    removes: bool = False
    """It deletes its record or takes something from it: a record already deleted needs
    nothing more (an offline device's deletion of what another device deleted is applied)."""
    needs: Callable[[sqlite3.Connection, str], object] | None = None
    """Refuses (not found) an event on a record that must exist for the edit, and does not
    (a tag, a manual transaction, a tagged item): checked before the version, a version for
    what never was says so rather than conflict."""


class TagData(TypedDict):
    name: str


class AssignTagData(TypedDict):
    tagName: str


class UnassignTagData(TypedDict):
    tagId: int


class ValueData(TypedDict):
    value: Any


_ANY_DATA = dict[str, Any]


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
    tx_id = _manual_id(record_id)
    oldest = update_manual(connection, tx_id, cast(ManualTransactionInput, data))
    return Edit(tx_id, lambda: tell.transaction_updated(oldest))


def _patch_transaction(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    tx_id = _manual_id(record_id)
    oldest = patch_transaction(connection, tx_id, cast(TransactionPatch, data))
    if oldest is None:
        return Edit(tx_id, tell.transaction_patched)
    return Edit(tx_id, lambda: tell.transaction_updated(oldest))


def _delete_transaction(
    connection: sqlite3.Connection, record_id: str | None, _: dict[str, Any], tell: Announcers
) -> Edit:
    tx_id = _manual_id(record_id)
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
    restarted = patch_asset(connection, asset_id, cast(AssetPatch, data))
    changed = tell.listing_changed if "coingeckoId" in data else tell.asset_changed

    def announce() -> None:
        changed()
        if restarted is not None:
            tell.price_source_changed(restarted)

    return Edit(asset_id, announce)


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
        raise _no_tag(tag_id)
    return Edit(str(tag_id), lambda: tell.tags_changed("updated"))


def _delete_tag(
    connection: sqlite3.Connection, record_id: str | None, _: dict[str, Any], tell: Announcers
) -> Edit:
    tag_id = _tag_id(record_id)
    if not delete_tag(connection, tag_id):
        raise _no_tag(tag_id)
    return Edit(str(tag_id), lambda: tell.tags_changed("deleted"))


def _assign_tag(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    kind, item_id = _tagged_item(record_id)
    require_item(connection, kind, item_id)
    name = checked_tag_name(_text(data, "tagName"))
    claimed = name == SPAM_TAG and spam_detected.is_detected(connection, kind, item_id)
    change = tag_by_hand(connection, kind, item_id, name)

    def announce() -> None:
        if change.tag_created:
            tell.tags_changed("created")
        _tagged(tell, kind, item_id, change)

    keep = claimed or change.logs_changed
    return Edit(tag_store.tagging_id(kind, item_id), announce, keep=keep)


def _unassign_tag(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    kind, item_id = _tagged_item(record_id)
    require_item(connection, kind, item_id)
    change = untag_by_hand(connection, kind, item_id, _unassigned_tag_id(data))
    return Edit(tag_store.tagging_id(kind, item_id), lambda: _tagged(tell, kind, item_id, change))


def _tagged(tell: Announcers, kind: TaggedKind, item_id: str, change: TagChange) -> None:
    tell.item_tagged(kind, item_id)
    if change.logs_changed:
        tell.logs_tagged()


def _patch_settings(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    _settings_id(record_id)
    merged = merge_settings(connection, data)
    return Edit(SETTINGS_KEY, lambda: tell.settings_changed(merged))


def _set_value(
    connection: sqlite3.Connection, record_id: str | None, data: dict[str, Any], tell: Announcers
) -> Edit:
    key = _synced_key(record_id)
    write_value(connection, key, data["value"])
    value_written(connection, key)
    stored = read_value(connection, key)
    return Edit(key, lambda: tell.value_set(key, stored))


def _no_tag(tag_id: int) -> NotFoundError:
    return NotFoundError(f"Tag {tag_id} does not exist")


def _need_tag(connection: sqlite3.Connection, record_id: str) -> None:
    tag_id = _tag_id(record_id)
    if connection.execute("SELECT 1 FROM tags WHERE id = ?", (tag_id,)).fetchone() is None:
        raise _no_tag(tag_id)


def _need_transaction(connection: sqlite3.Connection, record_id: str) -> None:
    existing_transaction(connection, _manual_id(record_id))


def _need_tagged_item(connection: sqlite3.Connection, record_id: str) -> None:
    require_item(connection, *_tagged_item(record_id))


def _unassigned_tag_id(data: dict[str, Any]) -> int:
    tag_id: int = data["tagId"]  # in SQLite's range: checked as the data's type
    return tag_id


def _nothing() -> None:
    return None


EVENT_TYPES: dict[str, EventType] = {
    "transaction.add": EventType("transaction", True, _add_transaction, ManualTransactionInput),
    "transaction.update": EventType(
        "transaction",
        False,
        _update_transaction,
        ManualTransactionInput,
        needs=_need_transaction,
    ),
    "transaction.patch": EventType(
        "transaction", False, _patch_transaction, TransactionPatch, needs=_need_transaction
    ),
    "transaction.delete": EventType(
        "transaction", False, _delete_transaction, _ANY_DATA, removes=True, needs=_need_transaction
    ),
    "asset.patch": EventType("asset", False, _patch_asset, AssetPatch),
    "tag.create": EventType("tag", True, _create_tag, TagData),
    "tag.rename": EventType("tag", False, _rename_tag, TagData, needs=_need_tag),
    "tag.delete": EventType("tag", False, _delete_tag, _ANY_DATA, removes=True, needs=_need_tag),
    "tagging.assign": EventType(
        "tagging", False, _assign_tag, AssignTagData, needs=_need_tagged_item
    ),
    "tagging.unassign": EventType(
        "tagging",
        False,
        _unassign_tag,
        UnassignTagData,
        bounds=_unassigned_tag_id,
        removes=True,
        needs=_need_tagged_item,
    ),
    "settings.patch": EventType("settings", False, _patch_settings, _ANY_DATA),
    "value.set": EventType("value", False, _set_value, ValueData),
}


def _required_id(record_id: str | None) -> str:
    if not record_id:
        raise InvalidInputError("This event needs a recordId")
    return record_id


def check_event(
    kind: EventType, record_id: str | None, version: int | None, data: dict[str, Any]
) -> None:
    """Refuse a recordId that is not written as its record's id is stored and logged ("01" for
    tag 1): the version check and the edit would read different records. An event that creates
    its record takes neither an id nor a version. Refuse a value in ``data`` out of the bounds
    of what is stored."""
    if not kind.creates:
        _ID_CHECKS[kind.entity](record_id)
    elif record_id is not None:
        raise InvalidInputError(
            f"A new {kind.entity} gets its id from the daemon (the result names it): "
            f'send the event without a recordId, not "{record_id}"'
        )
    elif version is not None:
        raise InvalidInputError(
            f"A new {kind.entity} gets its version from the daemon (the result names it): "
            f"send the event without a version, not {version}"
        )
    if kind.bounds is not None:
        kind.bounds(data)


def _tag_id(record_id: str | None) -> int:
    text = _required_id(record_id)
    if not _TAG_ID.fullmatch(text):
        raise InvalidInputError(
            f'A tag recordId is its number, without leading zeros, signs or spaces ("3"), '
            f'not "{text}"'
        )
    if int(text) > SQLITE_MAX_INT:
        raise InvalidInputError(f'Tag ids go up to {SQLITE_MAX_INT}, not "{text}"')
    return int(text)


def _manual_id(record_id: str | None) -> str:
    return _require_manual(_required_id(record_id))


def _settings_id(record_id: str | None) -> str:
    if record_id not in (None, SETTINGS_KEY):
        raise InvalidInputError(f'The settings record is "{SETTINGS_KEY}", not "{record_id}"')
    return SETTINGS_KEY


def _synced_key(record_id: str | None) -> str:
    key = _required_id(record_id)
    if key not in SYNCED_VALUE_KEYS:
        raise InvalidInputError(
            f'"{key}" is not a synced value: expected one of {", ".join(SYNCED_VALUE_KEYS)}'
        )
    return key


def _tagged_item(record_id: str | None) -> tuple[TaggedKind, str]:
    text = _required_id(record_id)
    item = tag_store.parse_tagging_id(text)
    if item is None:
        raise InvalidInputError(
            f'A tagging recordId is "<kind>:<item id>", the kind one of auditLog, transaction '
            f'or trade, not "{text}"'
        )
    return item


def _asset_id(record_id: str | None) -> str:
    """An asset's id as ``patchAsset`` stores it: the version check and the edit read the
    same record only when the event names it so."""
    text = _required_id(record_id)
    stored = asset_ids.cleaned(text)
    if stored != text:
        raise InvalidInputError(
            f'An asset recordId is written as the asset\'s id is stored: "{stored}", not "{text}"'
        )
    return text


_ID_CHECKS: dict[Entity, Callable[[str | None], object]] = {
    "transaction": _manual_id,
    "asset": _asset_id,
    "tag": _tag_id,
    "tagging": _tagged_item,
    "settings": _settings_id,
    "value": _synced_key,
}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidInputError(f"data.{name} must be a string")
    return value
