"""The tag ids and manual transaction numbers of a backup from another line of ids, moved above
those the account gave.

Ids are never given twice in an account's line (``domain/id_floors.py``), and a backup of that
line holds each id for the record it was given to. A backup of another line (another account, an
account since deleted, another machine, or one made before the lines were named) may hold an id
the account gave to another record, which a device may still know it by: such an id moves to a
new one above every id either gave, wherever the database holds it (the joins of tags, the
manual transaction's audit logs, the trades built on them). Ids the account never gave stay.
"""

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from privatefolio_daemon.domain.manual_transactions import MANUAL_PREFIX, next_manual_number

#: Where a tag id is held.
_TAG_COLUMNS = (
    ("tags", "id"),
    ("audit_log_tags", "tag_id"),
    ("transaction_tags", "tag_id"),
    ("trade_tags", "tag_id"),
)
#: Where a manual transaction's id, or the id of one of its audit logs, is held.
_ITEM_COLUMNS = (
    ("transactions", "id"),
    ("audit_logs", "id"),
    ("audit_logs", "txId"),
    ("transaction_tags", "transaction_id"),
    ("audit_log_tags", "audit_log_id"),
    ("trade_transactions", "transaction_id"),
    ("trade_audit_logs", "audit_log_id"),
    ("spam_cleared", "itemId"),
    ("spam_detected", "itemId"),
    ("transaction_patched_fields", "transactionId"),
)
#: JSON lists of rows that name a transaction (a trade's cost, fees, proceeds and deposits).
_JSON_COLUMNS = tuple(("trades", column) for column in ("cost", "fees", "proceeds", "deposits"))
_MANUAL_ID = re.compile(rf"{MANUAL_PREFIX}([1-9][0-9]*)(_.*)?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class MovedIds:
    """The new ids of the backup's tags and manual transaction numbers, by their old ones."""

    tags: dict[int, int]
    manual: dict[int, int]

    def tag(self, tag_id: str) -> str:
        """A tag's record id, moved."""
        moved = self.tags.get(int(tag_id)) if tag_id.isdigit() else None
        return tag_id if moved is None else str(moved)

    def item(self, item_id: str) -> str:
        """A manual transaction's id or one of its audit logs' ids, moved."""
        match = _MANUAL_ID.fullmatch(item_id)
        moved = None if match is None else self.manual.get(int(match[1]))
        return item_id if moved is None else f"{MANUAL_PREFIX}{moved}{match[2] or ''}"  # type: ignore[index]

    def __bool__(self) -> bool:
        return bool(self.tags or self.manual)


def move_given_ids(connection: sqlite3.Connection, tag_floor: int, manual_floor: int) -> MovedIds:
    """Move the tag ids up to ``tag_floor`` and the manual numbers below ``manual_floor`` (the
    account's highest tag id and next manual number) to new ones (in the caller's
    transaction)."""
    moved = MovedIds(
        _move_tags(connection, tag_floor), _new_manual_numbers(connection, manual_floor)
    )
    if moved.manual:
        _rewrite(connection, moved.item)
    return moved


def _move_tags(connection: sqlite3.Connection, floor: int) -> dict[int, int]:
    held: set[int] = set()
    for table, column in _TAG_COLUMNS:
        rows = connection.execute(
            f"SELECT DISTINCT {column} FROM {table} WHERE typeof({column}) = 'integer'"
        )
        held.update(int(row[0]) for row in rows)
    held.update(int(row[0]) for row in _feed_ids(connection, "tag") if row[0].isdigit())
    given = sorted(tag_id for tag_id in held if 0 < tag_id <= floor)
    if not given:
        return {}
    sequence = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tags'").fetchone()
    top = max(floor, max(held), 0 if sequence is None else int(sequence[0]))
    moves = {old: top + index for index, old in enumerate(given, start=1)}
    for table, column in _TAG_COLUMNS:
        connection.executemany(
            f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
            [(new, old) for old, new in moves.items()],
        )
    connection.execute("DELETE FROM sqlite_sequence WHERE name = 'tags'")
    connection.execute(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('tags', ?)", (top + len(given),)
    )
    return moves


def _new_manual_numbers(connection: sqlite3.Connection, floor: int) -> dict[int, int]:
    """New numbers for the manual transactions numbered below ``floor``: the next free ones at
    or above it and the backup's own next number."""
    ids = [
        row[0]
        for row in connection.execute(
            "SELECT id FROM transactions WHERE id LIKE 'MANUAL!_%' ESCAPE '!' "
            "UNION SELECT txId FROM audit_logs WHERE txId LIKE 'MANUAL!_%' ESCAPE '!'"
        )
    ] + [row[0] for row in _feed_ids(connection, "transaction")]
    numbers = {int(match[1]) for text in ids if (match := _MANUAL_ID.fullmatch(str(text)))}
    given = sorted(number for number in numbers if number < floor)
    if not given:
        return {}
    in_use = "SELECT 1 FROM transactions WHERE id = ?"
    number, moves = max(floor, next_manual_number(connection)), {}
    for old in given:
        while (
            number in numbers
            or connection.execute(in_use, (f"{MANUAL_PREFIX}{number}",)).fetchone()
        ):
            number += 1
        moves[old] = number
        number += 1
    return moves


def _rewrite(connection: sqlite3.Connection, item: Callable[[str], str]) -> None:
    connection.create_function("moved_item", 1, item, deterministic=True)
    connection.create_function("moved_rows", 1, lambda text: _moved_rows(text, item))
    like = "LIKE '%MANUAL!_%' ESCAPE '!'"
    for table, column in _ITEM_COLUMNS:
        connection.execute(
            f"UPDATE {table} SET {column} = moved_item({column}) WHERE {column} {like}"
        )
    for table, column in _JSON_COLUMNS:
        connection.execute(
            f"UPDATE {table} SET {column} = moved_rows({column}) WHERE {column} {like}"
        )


def _moved_rows(text: str, item: Callable[[str], str]) -> str:
    def moved(value: Any) -> Any:
        if isinstance(value, list):
            return [moved(part) for part in value]
        return item(value) if isinstance(value, str) else value

    return orjson.dumps(moved(orjson.loads(text))).decode()


def _feed_ids(connection: sqlite3.Connection, entity: str) -> list[Any]:
    return connection.execute(
        "SELECT recordId FROM sync_changes WHERE entity = ?", (entity,)
    ).fetchall()
