"""Tags: labels on audit logs, transactions and trades, with the events of rpc-methods §5.8."""

import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.domain.errors import InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.spam import SPAM_TAG
from privatefolio_daemon.domain.spam_on_logs import spam_off_logs, spam_onto_logs
from privatefolio_daemon.domain.text_bounds import bounded_text
from privatefolio_daemon.store import spam_cleared, spam_detected
from privatefolio_daemon.store import tags as store
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.tags import TaggedKind

TAG_NAME_MAX_CHARS = 100

_ITEM_NAMES: dict[TaggedKind, str] = {
    "auditLog": "Audit log",
    "transaction": "Transaction",
    "trade": "Trade",
}


def rename_tag(connection: sqlite3.Connection, tag_id: int, name: str) -> bool:
    """Rename the tag; ``False`` if there is none with this id."""
    clash = store.tag_by_name(connection, name)
    if clash is not None and clash[0] != tag_id:
        raise InvalidInputError(f'A tag named "{name}" already exists')
    _spam_tag_changes(connection, tag_id, name)
    return store.rename_tag(connection, tag_id, name)


def delete_tag(connection: sqlite3.Connection, tag_id: int) -> bool:
    """Delete the tag only (its join rows stay, as in Privatefolio); ``False`` if there is none
    with this id."""
    _spam_tag_changes(connection, tag_id, None)
    return store.delete_tag(connection, tag_id)


def _spam_tag_changes(connection: sqlite3.Connection, tag_id: int, name: str | None) -> None:
    """The "spam" tag that detection put on items goes (deleted or renamed), or another tag
    becomes "spam": no item then holds a "spam" tag detection put on, so none is taken off."""
    row = connection.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
    if row is not None and row[0] != name and SPAM_TAG in (row[0], name):
        spam_detected.forget_all(connection)


def require_item(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> None:
    if not store.item_exists(connection, kind, item_id):
        raise NotFoundError(f"{_ITEM_NAMES[kind]} {item_id} does not exist")


@dataclass(frozen=True, slots=True)
class TagChange:
    """What a user's tagging or untagging changed."""

    item_changed: bool
    tag_created: bool = False
    logs_changed: bool = False
    """A transaction's "spam" tag went on or off its audit logs too (``spam_on_logs``)."""


def tag_by_hand(
    connection: sqlite3.Connection, kind: TaggedKind, item_id: str, name: str
) -> TagChange:
    """A user's tag on an item, the tag created as needed."""
    tag, created = store.ensure_tag(connection, checked_tag_name(name))
    tagged = bool(store.link_tag(connection, kind, [item_id], tag[0]))
    logs_changed = False
    if tag[1] == SPAM_TAG and kind != "trade":
        spam_cleared.unmark_cleared(connection, kind, item_id)
        spam_detected.forget_detected(connection, kind, [item_id])  # the user's tag now
        if kind == "transaction":
            logs_changed = spam_onto_logs(connection, item_id, tag[0])
    return TagChange(tagged, created, logs_changed)


def untag_by_hand(
    connection: sqlite3.Connection, kind: TaggedKind, item_id: str, tag_id: int
) -> TagChange:
    """A user took a tag off an item: spam detection will not put a "spam" tag back. Changes
    nothing when the item does not have the tag (an item that does not exist is ignored, as
    Privatefolio does)."""
    if not store.unlink_tag(connection, kind, item_id, tag_id):
        return TagChange(False)
    logs_changed = False
    if kind != "trade":
        tag = connection.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
        if tag is not None and tag[0] == SPAM_TAG:
            spam_cleared.mark_cleared(connection, kind, item_id)
            spam_detected.forget_detected(connection, kind, [item_id])
            if kind == "transaction":
                logs_changed = spam_off_logs(connection, item_id, tag_id)
    return TagChange(True, logs_changed=logs_changed)


def checked_tag_name(name: str) -> str:
    """The name without the spaces around it (" x " is the tag "x"), in one Unicode form (an
    "é" typed as one character or as "e" and an accent is one tag)."""
    name = unicodedata.normalize("NFC", name).strip()
    if not any(unicodedata.category(char) not in _INVISIBLE for char in name):
        raise InvalidInputError("A tag needs a name")
    return bounded_text("Tag name", name, TAG_NAME_MAX_CHARS)


#: Unicode categories that show nothing: a name of only these (a zero-width space) is blank.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _checked_in_list(name: str, number: int, count: int) -> str:
    try:
        return checked_tag_name(name)
    except InvalidInputError as error:
        if count == 1:
            raise
        raise InvalidInputError(f"{error} (name {number + 1} of {count})") from None


class Tags:
    def __init__(self, account: str, db: Database, events: EventBus) -> None:
        self.account = account
        self._db = db
        self._events = events

    async def upsert(self, names: list[str]) -> list[dict[str, Any]]:
        """The tags with these names, created as needed (INSERT OR IGNORE by name)."""
        checked = [_checked_in_list(name, number, len(names)) for number, name in enumerate(names)]

        def upsert(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return [store.ensure_tag(connection, name)[0] for name in checked]

        rows = await self._db.transaction(upsert)
        self.announce("created")
        return [store.tag_to_wire(row) for row in rows]

    async def rename(self, tag_id: int, name: str) -> None:
        name = checked_tag_name(name)
        if not await self._db.transaction(lambda conn: rename_tag(conn, tag_id, name)):
            raise NotFoundError(f"Tag {tag_id} does not exist")
        self.announce("updated")

    async def delete(self, tag_id: int) -> None:
        """Delete the tag only; see ``delete_tag``."""
        if not await self._db.transaction(lambda conn: delete_tag(conn, tag_id)):
            raise NotFoundError(f"Tag {tag_id} does not exist")
        self.announce("deleted")

    async def assign(self, kind: TaggedKind, item_id: str, tag_name: str) -> None:
        tag_name = checked_tag_name(tag_name)

        def assign(connection: sqlite3.Connection) -> TagChange:
            require_item(connection, kind, item_id)
            return tag_by_hand(connection, kind, item_id, tag_name)

        change = await self._db.transaction(assign)
        if change.tag_created:
            self.announce("created")
        self.item_changed(kind, item_id)
        if change.logs_changed:
            self.logs_changed()

    async def remove(self, kind: TaggedKind, item_id: str, tag_id: int) -> None:
        change = await self._db.transaction(lambda conn: untag_by_hand(conn, kind, item_id, tag_id))
        if change.item_changed:
            self.item_changed(kind, item_id)
        if change.logs_changed:
            self.logs_changed()

    async def of_item(self, kind: TaggedKind, item_id: str) -> list[dict[str, Any]]:
        rows = await self._db.read(lambda conn: store.tags_of(conn, kind, item_id))
        return [store.tag_to_wire(row) for row in rows]

    def item_changed(self, kind: TaggedKind, item_id: str) -> None:
        if kind == "auditLog":
            self._emit("audit-logs", "updated")
        elif kind == "transaction":
            self._emit("transactions", "updated", item_id)
        else:
            self._emit("trades", "updated", item_id)

    def logs_changed(self) -> None:
        """Audit logs' tags changed with their transaction's."""
        self._emit("audit-logs", "updated")

    def announce(self, cause: str) -> None:
        self._emit("tags", cause)

    def _emit(self, channel: str, *args: Any) -> None:
        self._events.emit(channel, *args, account=self.account)
