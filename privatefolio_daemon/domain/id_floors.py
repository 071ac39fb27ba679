"""The highest ids an account has given, carried over a reset and a restore.

A version (the change feed's ``seq``), a tag id and a manual transaction's number are never given
again over the account's life (docs/sync.md): a device that was offline may still hold a record
under one, and would take a new record for its own. Nor are a server task's or a server file's
id: a client polling a task or holding a download link would find another one under it. A reset
starts an empty database and a restore brings back an older one; both then continue above what
the account had given.

Those ids mean the same records only within the account's own line of ids, which a reset and a
restore keep (``lineage``); a backup of another line (``domain/backup/restored_ids.py``) moves
its ids the account gave to new ones.
"""

import sqlite3
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.domain.manual_transactions import SEQUENCE_KEY as MANUAL_SEQUENCE_KEY
from privatefolio_daemon.domain.manual_transactions import next_manual_number
from privatefolio_daemon.store.change_log import raise_seq_floor, seq_floor
from privatefolio_daemon.store.key_value import read_value, write_value

LINEAGE_KEY = "id_lineage"


@dataclass(frozen=True, slots=True)
class IdFloors:
    seq: int
    tag: int
    """The highest tag id given."""
    manual: int
    """The next manual transaction's number."""
    task: int = 0
    """The highest server task id given."""
    file: int = 0
    """The highest server file id given."""
    lineage: str = ""
    """The name of the line of ids the account gives (empty: none read)."""

    def to_json(self) -> dict[str, int | str]:
        return {
            "seq": self.seq,
            "tag": self.tag,
            "manual": self.manual,
            "task": self.task,
            "file": self.file,
            "lineage": self.lineage,
        }

    @staticmethod
    def from_json(state: dict[str, Any]) -> "IdFloors":
        def floor(key: str) -> int:
            return int(state.get(key, 0))

        return IdFloors(
            int(state["seq"]),
            floor("tag"),
            floor("manual"),
            floor("task"),
            floor("file"),
            str(state.get("lineage", "")),
        )


def higher_floors(first: IdFloors, second: IdFloors) -> IdFloors:
    """Each floor the higher of the two; the line of ids ``first``'s, if it names one."""
    return IdFloors(
        max(first.seq, second.seq),
        max(first.tag, second.tag),
        max(first.manual, second.manual),
        max(first.task, second.task),
        max(first.file, second.file),
        first.lineage or second.lineage,
    )


#: The tables whose AUTOINCREMENT ids are floors, by IdFloors field.
_SEQUENCES = {"tag": "tags", "task": "server_tasks", "file": "server_files"}


def read_floors(connection: sqlite3.Connection) -> IdFloors:
    given = dict(connection.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
    sequences = {field: int(given.get(table, 0)) for field, table in _SEQUENCES.items()}
    lineage = read_value(connection, LINEAGE_KEY)
    return IdFloors(
        seq_floor(connection),
        manual=next_manual_number(connection),
        lineage="" if lineage is None else str(lineage),
        **sequences,
    )


def raise_floors(connection: sqlite3.Connection, floors: IdFloors) -> None:
    """Make the ids given from now on higher than ``floors``, in their line of ids (in the
    caller's transaction)."""
    current = read_floors(connection)
    raise_seq_floor(connection, floors.seq)
    for field, table in _SEQUENCES.items():
        if getattr(floors, field) > getattr(current, field):
            connection.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
            connection.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                (table, getattr(floors, field)),
            )
    if floors.manual > current.manual:
        write_value(connection, MANUAL_SEQUENCE_KEY, floors.manual)
    if floors.lineage:
        write_value(connection, LINEAGE_KEY, floors.lineage)
