"""SQL of what auto-merge replaced: the member transactions of each merged one with the fields a
user had patched on them (migrations 0011, 0017), and the transaction and operation each
re-pointed audit log had before."""

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import orjson

from privatefolio_daemon.domain.records import Transaction

SourceColumn = Literal["fileImportId", "connectionId"]


class MemberRecord(NamedTuple):
    row: dict[str, Any]
    """The member's wire form, as it was merged."""
    patched: frozenset[str]
    """The fields a user had patched on it (none noted before migration 0017)."""


def record_members(
    connection: sqlite3.Connection,
    merged_id: str,
    members: Iterable[Transaction],
    patched: Mapping[str, Iterable[str]],
) -> None:
    """Note the members a merged transaction stands for, with their ``patched`` fields. A member
    that is an earlier merge hands on the members recorded for it; one with none recorded (made
    before they were) is kept whole."""
    for member in members:
        moved = connection.execute(
            "UPDATE merged_members SET mergedId = ? WHERE mergedId = ?", (merged_id, member.id)
        ).rowcount
        if moved:
            continue
        connection.execute(
            "INSERT OR REPLACE INTO merged_members "
            "(memberId, mergedId, fileImportId, connectionId, row, patchedFields) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                member.id,
                merged_id,
                member.fileImportId,
                member.connectionId,
                orjson.dumps(member.to_wire()).decode(),
                orjson.dumps(sorted(patched.get(member.id, ()))).decode(),
            ),
        )


def keep_log_origins(connection: sqlite3.Connection, log_ids: Sequence[str]) -> None:
    """Note each log's transaction and operation, unless a merge before noted them."""
    connection.executemany(
        "INSERT OR IGNORE INTO merged_log_origins (logId, txId, operation) "
        "SELECT id, txId, operation FROM audit_logs WHERE id = ? AND txId IS NOT NULL",
        ((log_id,) for log_id in log_ids),
    )


def merged_ids_with_members_of(
    connection: sqlite3.Connection, column: SourceColumn, source_id: str
) -> list[str]:
    """The merged transactions that stand for a transaction of this file import or connection."""
    rows = connection.execute(
        f"SELECT DISTINCT mergedId FROM merged_members WHERE {column} = ? ORDER BY mergedId",
        (source_id,),
    )
    return [row[0] for row in rows]


def merged_ids_of_members(connection: sqlite3.Connection, member_ids: Sequence[str]) -> list[str]:
    """The merged transactions that stand for any of these transactions."""
    found: set[str] = set()
    for member_id in member_ids:
        found.update(
            row[0]
            for row in connection.execute(
                "SELECT mergedId FROM merged_members WHERE memberId = ?", (member_id,)
            )
        )
    return sorted(found)


def take_members(connection: sqlite3.Connection, merged_id: str) -> list[MemberRecord]:
    """A merged transaction's members, which are then no longer noted."""
    rows = connection.execute(
        "SELECT row, patchedFields FROM merged_members WHERE mergedId = ? ORDER BY memberId",
        (merged_id,),
    ).fetchall()
    connection.execute("DELETE FROM merged_members WHERE mergedId = ?", (merged_id,))
    return [
        MemberRecord(orjson.loads(row), frozenset(orjson.loads(patched or "[]")))
        for row, patched in rows
    ]


def restore_logs(connection: sqlite3.Connection, member_ids: Sequence[str]) -> list[str]:
    """Point the logs of these members back at them, with the operations they had; returns the
    ids of the logs so restored."""
    restored: list[str] = []
    for member_id in member_ids:
        origins = connection.execute(
            "SELECT logId, operation FROM merged_log_origins WHERE txId = ?", (member_id,)
        ).fetchall()
        connection.executemany(
            "UPDATE audit_logs SET txId = ?, operation = ? WHERE id = ?",
            ((member_id, operation, log_id) for log_id, operation in origins),
        )
        connection.execute("DELETE FROM merged_log_origins WHERE txId = ?", (member_id,))
        restored += [log_id for log_id, _ in origins]
    return restored


def forget_merge(connection: sqlite3.Connection, merged_id: str) -> None:
    """Drop what a merged transaction stood for (it is being deleted with its logs)."""
    members = [row[0] for row in connection.execute(
        "SELECT memberId FROM merged_members WHERE mergedId = ?", (merged_id,)
    )]  # fmt: skip
    connection.executemany(
        "DELETE FROM merged_log_origins WHERE txId = ?", ((member,) for member in members)
    )
    connection.execute("DELETE FROM merged_members WHERE mergedId = ?", (merged_id,))
