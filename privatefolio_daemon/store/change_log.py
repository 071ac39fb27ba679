"""SQL of the sync change feed (``sync_changes``, one row per record: its latest change) and of
the kept results of submitted events (``sync_events``)."""

import secrets
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from privatefolio_daemon.store.key_value import read_value, write_value

FEED_ID_KEY = "sync_feed_id"

_CHANGE_COLUMNS = "seq, entity, recordId, record, eventId, timestamp"


def append_change(
    connection: sqlite3.Connection, entity: str, record_id: str, record: dict[str, Any] | None
) -> int:
    """Log the record's new state (``None``: deleted) in place of its previous change; returns
    its new version, the change's seq. The state its latest change holds already keeps that
    version. Replaying the feed from any seq still ends on every record's current state, since
    each record's latest change is kept."""
    text = record_text(record)
    latest = connection.execute(
        "SELECT seq, record FROM sync_changes WHERE entity = ? AND recordId = ?",
        (entity, record_id),
    ).fetchone()
    if latest is not None and latest[1] == text:  # the same state: its version stands
        return int(latest[0])
    connection.execute(
        "DELETE FROM sync_changes WHERE entity = ? AND recordId = ?", (entity, record_id)
    )
    cursor = connection.execute(
        "INSERT INTO sync_changes (entity, recordId, record, timestamp) VALUES (?, ?, ?, ?)",
        (entity, record_id, text, int(time.time() * 1000)),
    )
    seq = cursor.lastrowid
    assert seq is not None
    return seq


def mark_changes_since(connection: sqlite3.Connection, after_seq: int, event_id: str) -> None:
    """Name the event that made the changes after ``after_seq``."""
    connection.execute("UPDATE sync_changes SET eventId = ? WHERE seq > ?", (event_id, after_seq))


def version_of(connection: sqlite3.Connection, entity: str, record_id: str) -> int:
    """The record's version: the seq of its latest change, 0 if it never changed since 0006."""
    row = connection.execute(
        "SELECT seq FROM sync_changes WHERE entity = ? AND recordId = ?", (entity, record_id)
    ).fetchone()
    return 0 if row is None else int(row[0])


def is_deleted(connection: sqlite3.Connection, entity: str, record_id: str) -> bool:
    """Whether the record's latest change deleted it."""
    row = connection.execute(
        "SELECT record IS NULL FROM sync_changes WHERE entity = ? AND recordId = ?",
        (entity, record_id),
    ).fetchone()
    return row is not None and bool(row[0])


def versions_of(connection: sqlite3.Connection, entity: str) -> dict[str, int]:
    rows = connection.execute(
        "SELECT recordId, seq FROM sync_changes WHERE entity = ?", (entity,)
    ).fetchall()
    return {record_id: int(version) for record_id, version in rows}


def changes_after(connection: sqlite3.Connection, after_seq: int, limit: int) -> list[Any]:
    return connection.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM sync_changes WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit),
    ).fetchall()


def last_seq(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT MAX(seq) FROM sync_changes").fetchone()
    return int(row[0] or 0)


def seq_floor(connection: sqlite3.Connection) -> int:
    """The highest seq the feed ever gave, its deleted changes' included."""
    row = connection.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'sync_changes'"
    ).fetchone()
    return 0 if row is None else int(row[0])


def raise_seq_floor(connection: sqlite3.Connection, floor: int) -> None:
    """Give later changes seqs above ``floor``, so that a version a client saw of the account
    before a reset or a restore is never given to another state of a record."""
    if floor > seq_floor(connection):
        connection.execute("DELETE FROM sqlite_sequence WHERE name = 'sync_changes'")
        connection.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_changes', ?)", (floor,)
        )


#: A change as ``all_changes`` reads it and ``replace_feed`` writes it: entity, record id, record
#: (JSON text, ``None``: deleted), event id and timestamp.
StoredChange = tuple[str, str, str | None, str | None, int]


def all_changes(connection: sqlite3.Connection) -> list[StoredChange]:
    """The feed's changes in order, without their seqs."""
    rows: list[StoredChange] = connection.execute(
        "SELECT entity, recordId, record, eventId, timestamp FROM sync_changes ORDER BY seq"
    ).fetchall()
    return rows


def replace_feed(
    connection: sqlite3.Connection, floor: int, changes: Sequence[StoredChange]
) -> None:
    """Put ``changes`` in place of the feed's, in order, at the seqs after ``floor``."""
    connection.execute("DELETE FROM sync_changes")
    connection.execute("DELETE FROM sqlite_sequence WHERE name = 'sync_changes'")
    connection.execute(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_changes', ?)", (floor,)
    )
    add_changes(connection, changes)


def add_changes(connection: sqlite3.Connection, changes: Sequence[StoredChange]) -> None:
    """Append ``changes`` to the feed, in order, as changes of records it has none of."""
    connection.executemany(
        "INSERT INTO sync_changes (entity, recordId, record, eventId, timestamp) "
        "VALUES (?, ?, ?, ?, ?)",
        changes,
    )


def record_text(record: dict[str, Any] | None) -> str | None:
    """A record as the feed stores it."""
    return None if record is None else orjson.dumps(record).decode()


def feed_id(connection: sqlite3.Connection) -> str:
    return str(read_value(connection, FEED_ID_KEY))


def new_feed_id(connection: sqlite3.Connection) -> str:
    """Name the feed anew: clients that knew the old name read a new snapshot."""
    value = f"feed_{secrets.token_hex(16)}"
    write_value(connection, FEED_ID_KEY, value)
    return value


def rename_feed(database: Path) -> None:
    """Give a restored database's feed a new name: what clients saw of it is no longer current."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        new_feed_id(connection)
    finally:
        connection.close()


def accepted_result(
    connection: sqlite3.Connection, event_id: str
) -> tuple[dict[str, Any], str | None] | None:
    """The kept result of the event, with the fingerprint of the event (``None`` if kept before
    migration 0010)."""
    row = connection.execute(
        "SELECT result, fingerprint FROM sync_events WHERE eventId = ?", (event_id,)
    ).fetchone()
    return None if row is None else (dict(orjson.loads(row[0])), row[1])


def remember_result(
    connection: sqlite3.Connection, event_id: str, result: dict[str, Any], fingerprint: str
) -> None:
    connection.execute(
        "INSERT INTO sync_events (eventId, result, acceptedAt, fingerprint) VALUES (?, ?, ?, ?)",
        (event_id, orjson.dumps(result).decode(), int(time.time() * 1000), fingerprint),
    )
