"""SQL of tags and their join tables (``audit_log_tags``, ``transaction_tags``, ``trade_tags``).

Every change to the tags of an item appends a ``tagging`` change to the sync feed, record id
``<kind>:<item id>`` (``transaction:MANUAL_1``) and record ``{kind, itemId, tagIds}``: the ids
its join rows hold, which keep a deleted tag's id (tag ids are never reused). An item left with
no tags is a deleted record.
"""

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any, Literal

from privatefolio_daemon.store.change_log import append_change

TaggedKind = Literal["auditLog", "transaction", "trade"]
TAGGED_KINDS: tuple[TaggedKind, ...] = ("auditLog", "transaction", "trade")
TAGGING = "tagging"
_DELETED_BY_SQL: tuple[TaggedKind, ...] = ("auditLog", "transaction")


@dataclass(frozen=True, slots=True)
class TagLink:
    """Where the tags of one kind of record live."""

    join_table: str
    item_column: str
    item_table: str


LINKS: dict[TaggedKind, TagLink] = {
    "auditLog": TagLink("audit_log_tags", "audit_log_id", "audit_logs"),
    "transaction": TagLink("transaction_tags", "transaction_id", "transactions"),
    "trade": TagLink("trade_tags", "trade_id", "trades"),
}


def tag_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": row[0], "name": row[1]}


def tag_by_name(connection: sqlite3.Connection, name: str) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = connection.execute(
        "SELECT id, name FROM tags WHERE name = ?", (name,)
    ).fetchone()
    return row


def ensure_tag(connection: sqlite3.Connection, name: str) -> tuple[tuple[Any, ...], bool]:
    """The tag named ``name``, created if needed; the flag says whether it was created.

    Looked up first: ``INSERT OR IGNORE`` would use up an id of the AUTOINCREMENT sequence."""
    existing = tag_by_name(connection, name)
    if existing is not None:
        return existing, False
    connection.execute("INSERT INTO tags (name) VALUES (?)", (name,))
    row = tag_by_name(connection, name)
    assert row is not None
    append_change(connection, "tag", str(row[0]), tag_to_wire(row))
    return row, True


def rename_tag(connection: sqlite3.Connection, tag_id: int, name: str) -> bool:
    """Rename the tag; ``False`` if there is none with this id."""
    if not connection.execute("UPDATE tags SET name = ? WHERE id = ?", (name, tag_id)).rowcount:
        return False
    append_change(connection, "tag", str(tag_id), {"id": tag_id, "name": name})
    return True


def delete_tag(connection: sqlite3.Connection, tag_id: int) -> bool:
    """Delete the tag only (its join rows stay); ``False`` if there is none with this id."""
    if not connection.execute("DELETE FROM tags WHERE id = ?", (tag_id,)).rowcount:
        return False
    append_change(connection, "tag", str(tag_id), None)
    return True


def item_exists(connection: sqlite3.Connection, kind: TaggedKind, item_id: str) -> bool:
    link = LINKS[kind]
    sql = f"SELECT 1 FROM {link.item_table} WHERE id = ?"
    return connection.execute(sql, (item_id,)).fetchone() is not None


def link_tag(
    connection: sqlite3.Connection, kind: TaggedKind, item_ids: Iterable[str], tag_id: int
) -> list[str]:
    """Tag the items (those tagged already stay as they are); returns those it tagged."""
    link = LINKS[kind]
    sql = f"INSERT OR IGNORE INTO {link.join_table} ({link.item_column}, tag_id) VALUES (?, ?)"
    tagged = [
        item_id for item_id in item_ids if connection.execute(sql, (item_id, tag_id)).rowcount
    ]
    _log_taggings(connection, kind, tagged)
    return tagged


def unlink_tag(connection: sqlite3.Connection, kind: TaggedKind, item_id: str, tag_id: int) -> int:
    link = LINKS[kind]
    sql = f"DELETE FROM {link.join_table} WHERE {link.item_column} = ? AND tag_id = ?"
    removed = connection.execute(sql, (item_id, tag_id)).rowcount
    if removed:
        _log_taggings(connection, kind, [item_id])
    return removed


def untag_items(connection: sqlite3.Connection, kind: TaggedKind, item_ids: Iterable[str]) -> None:
    """Remove every tag of these items (they are being deleted)."""
    link = LINKS[kind]
    sql = f"DELETE FROM {link.join_table} WHERE {link.item_column} = ?"
    untagged = [item_id for item_id in item_ids if connection.execute(sql, (item_id,)).rowcount]
    _log_taggings(connection, kind, untagged)


def untag_matching(
    connection: sqlite3.Connection, kind: TaggedKind, where: str, params: tuple[Any, ...]
) -> None:
    """Remove every tag of the items that match ``where`` (on ``item``; they are being deleted).

    Only tagged items are visited, so removing a large import with few tags stays cheap."""
    link = LINKS[kind]
    rows = connection.execute(
        f"SELECT DISTINCT tagged.{link.item_column} FROM {link.join_table} AS tagged "
        f"JOIN {link.item_table} AS item ON item.id = tagged.{link.item_column} WHERE {where}",
        params,
    ).fetchall()
    untag_items(connection, kind, [row[0] for row in rows])


def untag_deleted_items(connection: sqlite3.Connection, changed_tables: Iterable[str]) -> None:
    """Remove the tags of audit logs and transactions that are gone from their table (a raw SQL
    statement deleted them). Trades are left to the trades run, which carries their tags."""
    changed = set(changed_tables)
    for kind in _DELETED_BY_SQL:
        link = LINKS[kind]
        if link.item_table not in changed:
            continue
        rows = connection.execute(
            f"SELECT DISTINCT {link.item_column} FROM {link.join_table} WHERE "
            f"{link.item_column} NOT IN (SELECT id FROM {link.item_table})"
        ).fetchall()
        untag_items(connection, kind, [row[0] for row in rows])


def tagging_id(kind: TaggedKind, item_id: str) -> str:
    return f"{kind}:{item_id}"


def parse_tagging_id(record_id: str) -> tuple[TaggedKind, str] | None:
    kind, _, item_id = record_id.partition(":")
    for known in TAGGED_KINDS:
        if kind == known and item_id:
            return known, item_id
    return None


def tagging_record(
    connection: sqlite3.Connection, kind: TaggedKind, item_id: str
) -> dict[str, Any] | None:
    """``{kind, itemId, tagIds}`` of an item, ``None`` for one with no tags."""
    link = LINKS[kind]
    rows = connection.execute(
        f"SELECT tag_id FROM {link.join_table} WHERE {link.item_column} = ? ORDER BY tag_id",
        (item_id,),
    ).fetchall()
    return {"kind": kind, "itemId": item_id, "tagIds": [row[0] for row in rows]} if rows else None


def all_taggings(connection: sqlite3.Connection) -> list[tuple[str, dict[str, Any]]]:
    """Every tagged item's ``(record id, record)``, by kind and item id."""
    taggings: list[tuple[str, dict[str, Any]]] = []
    for kind in TAGGED_KINDS:
        link = LINKS[kind]
        rows = connection.execute(
            f"SELECT {link.item_column}, tag_id FROM {link.join_table} "
            f"ORDER BY {link.item_column}, tag_id"
        )
        for item_id, group in groupby(rows, key=itemgetter(0)):
            record = {"kind": kind, "itemId": item_id, "tagIds": [row[1] for row in group]}
            taggings.append((tagging_id(kind, item_id), record))
    return taggings


def _log_taggings(connection: sqlite3.Connection, kind: TaggedKind, item_ids: list[str]) -> None:
    for item_id in item_ids:
        record = tagging_record(connection, kind, item_id)
        append_change(connection, TAGGING, tagging_id(kind, item_id), record)


def tags_of(
    connection: sqlite3.Connection, kind: TaggedKind, item_id: str
) -> list[tuple[Any, ...]]:
    link = LINKS[kind]
    return connection.execute(
        f"SELECT tags.id, tags.name FROM tags JOIN {link.join_table} AS joined "
        f"ON joined.tag_id = tags.id WHERE joined.{link.item_column} = ? ORDER BY tags.id",
        (item_id,),
    ).fetchall()


def has_tag(connection: sqlite3.Connection, kind: TaggedKind, item_id: str, tag_id: int) -> bool:
    link = LINKS[kind]
    sql = f"SELECT 1 FROM {link.join_table} WHERE {link.item_column} = ? AND tag_id = ?"
    return connection.execute(sql, (item_id, tag_id)).fetchone() is not None
