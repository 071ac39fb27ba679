"""The feed of a restored database, at versions above every one the account gave.

A record's version is the seq of its latest change, and a backup's changes keep the seqs they had
when it was made: since then the account may have given those numbers to other states of the
same records (a backup of another account: whatever its records). A device that saw one would
send an edit made on it, and the edit would apply to a state the device never saw. So every
change of the backup takes a new seq above the account's highest (and the backup's), in its
order, and every record the backup holds without a change (version 0: unchanged since the feed
began) gets a change of its own after them. The feed keeps its deletions and the events that
made its changes.
"""

import sqlite3
from typing import cast

from privatefolio_daemon.domain.backup.restored_ids import MovedIds
from privatefolio_daemon.domain.synced_records import Entity, all_records, current_record
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.change_log import (
    StoredChange,
    add_changes,
    all_changes,
    record_text,
    replace_feed,
)
from privatefolio_daemon.store.tags import TAGGING


def renew_feed(connection: sqlite3.Connection, floor: int, moved: MovedIds) -> None:
    """Give the restored records versions above ``floor`` (in the caller's transaction)."""
    changes = [_renamed(connection, change, moved) for change in all_changes(connection)]
    replace_feed(connection, floor, changes)
    now = now_ms()
    unchanged: list[StoredChange] = [
        (record["entity"], record["recordId"], record_text(record["record"]), None, now)
        for record in all_records(connection)
        if record["version"] == 0
    ]
    add_changes(connection, unchanged)


def _renamed(connection: sqlite3.Connection, change: StoredChange, moved: MovedIds) -> StoredChange:
    """The change under its record's moved id, with the record as it now reads."""
    entity, record_id, record, event_id, timestamp = change
    if not moved or entity not in ("tag", "transaction", TAGGING):
        return change
    if entity == "tag":
        record_id = moved.tag(record_id)
    elif entity == "transaction":
        record_id = moved.item(record_id)
    else:
        kind, _, item = record_id.partition(":")
        record_id = f"{kind}:{moved.item(item)}"
    if record is not None:
        record = record_text(current_record(connection, cast(Entity, entity), record_id))
    return entity, record_id, record, event_id, timestamp
