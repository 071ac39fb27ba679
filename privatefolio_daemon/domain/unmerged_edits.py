"""What an undone merge gives back of a user's edits: the merged transaction's notes, and the
fields a user patched on it (type, price, role, metadata), each judged on its own.

As the merge made them of its members' (the notes ``merged_notes``, the fields ``handed_over``
in merge order), each member that comes back gets its own from the member records, with those
of the members whose source goes that follow it in merge order (the ones before the first that
comes back: the first's). So no text is lost to the cut of the merged notes, and a merge of
them again, an import of the others again or a connection synced again makes the same notes
and fields. Changed by the user since, the merged transaction's go to the first member in merge
order that comes back (the one it was named after, when it stays), the others coming back
without theirs.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from privatefolio_daemon.domain.auto_merge import joined_notes, merge_order, merged_notes
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.transaction_patches import handed_over, stored_transaction
from privatefolio_daemon.store import patched_fields as patches


@dataclass(frozen=True, slots=True)
class Member:
    tx: Transaction
    """As it was merged."""
    patched: frozenset[str]
    """The fields a user had patched on it."""
    staying: bool
    """It comes back (the others' file import or connection goes)."""


def given_back(
    connection: sqlite3.Connection, merged_id: str, members: Sequence[Member]
) -> list[Transaction]:
    """The members that stay, in merge order, with the user's edits of the merged transaction,
    whose patched fields are then no longer noted. Must run before it is deleted."""
    ordered = _in_merge_order(members)
    groups = _groups(ordered)
    if not groups:
        patches.forget_patched(connection, [merged_id])
        return []
    merged = stored_transaction(connection, merged_id)
    notes = _notes(None if merged is None else merged.notes, ordered, groups)
    return [
        replace(tx, notes=notes[tx.id])
        for tx in _with_patches(connection, merged_id, merged, ordered, groups)
    ]


def _in_merge_order(members: Sequence[Member]) -> list[Member]:
    by_id = {member.tx.id: member for member in members}
    return [by_id[tx.id] for tx in merge_order(member.tx for member in members)]


def _groups(ordered: list[Member]) -> dict[str, list[Member]]:
    """Each member that stays, by id, with those that go after it (before the first: the
    first's), all in merge order."""
    groups: dict[str, list[Member]] = {}
    leading: list[Member] = []
    for member in ordered:
        if member.staying:
            groups[member.tx.id] = [*leading, member] if not groups else [member]
        elif groups:
            groups[next(reversed(groups))].append(member)
        else:
            leading.append(member)
    return groups


def _notes(
    notes: str | None, ordered: list[Member], groups: dict[str, list[Member]]
) -> dict[str, str | None]:
    if notes == merged_notes(_txs(ordered)):
        return {tx_id: joined_notes(_txs(group)) for tx_id, group in groups.items()}
    leader = next(iter(groups))
    return {tx_id: notes if tx_id == leader else None for tx_id in groups}


def _with_patches(
    connection: sqlite3.Connection,
    merged_id: str,
    merged: Transaction | None,
    ordered: list[Member],
    groups: dict[str, list[Member]],
) -> list[Transaction]:
    if not _patches_as_made(connection, merged_id, merged, ordered):
        leader = next(iter(groups))
        return [
            handed_over(connection, [merged_id], _holder(group))
            if tx_id == leader
            else _holder(group)
            for tx_id, group in groups.items()
        ]
    patches.forget_patched(connection, [merged_id])
    given: list[Transaction] = []
    for tx_id, group in groups.items():
        taken = _taken(group)
        patches.mark_patched(connection, tx_id, sorted(taken))
        given.append(replace(_holder(group), **taken))
    return given


def _patches_as_made(
    connection: sqlite3.Connection,
    merged_id: str,
    merged: Transaction | None,
    ordered: list[Member],
) -> bool:
    """Whether the fields noted as patched on the merged transaction, and their values, are
    those its members handed over."""
    made = _taken(ordered)
    noted = patches.patched_fields(connection, [merged_id]).get(merged_id, set())
    if noted != made.keys():
        return False
    return not made or (
        merged is not None
        and all((getattr(merged, name) or None) == (value or None) for name, value in made.items())
    )


def _taken(group: Iterable[Member]) -> dict[str, Any]:
    """The patched fields a merge of the group takes: the first member to have patched one gives
    its value."""
    taken: dict[str, Any] = {}
    for member in group:
        for name in member.patched - taken.keys():
            taken[name] = getattr(member.tx, name)
    return taken


def _holder(group: list[Member]) -> Transaction:
    return next(member.tx for member in group if member.staying)


def _txs(members: Iterable[Member]) -> list[Transaction]:
    return [member.tx for member in members]
