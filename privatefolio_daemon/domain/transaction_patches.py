"""What a user patched on an imported or synced transaction with ``patchTransaction``: its type,
price, role and metadata (its notes are kept apart: no source brings any). The fields are noted
(migration 0016), so that a connection synced again writes the source's new values of the
others only, and a merge and an undone merge carry them as they carry notes: the merged
transaction takes its members', and an undone merge gives them back (``unmerged_edits``)."""

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from privatefolio_daemon.domain.ledger_rows import transaction_from_row
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.store import patched_fields as store

#: The fields of an imported transaction that a user can patch and a source writes.
KEPT_FIELDS = frozenset({"type", "price", "role", "metadata"})


def note_patched(connection: sqlite3.Connection, tx_id: str, changed: set[str]) -> None:
    """Note the fields a patch changed on an imported or synced transaction."""
    store.mark_patched(connection, tx_id, sorted(changed & KEPT_FIELDS))


def with_users_patches(
    connection: sqlite3.Connection, transactions: Sequence[Transaction]
) -> list[Transaction]:
    """The transactions as a source writes them again, each with the stored values of the fields
    a user patched on it."""
    return taking_patches(connection, [(tx, [tx.id]) for tx in transactions])


def taking_patches(
    connection: sqlite3.Connection, takers: Sequence[tuple[Transaction, Sequence[str]]]
) -> list[Transaction]:
    """Each transaction ``handed_over`` the fields patched on the stored ones listed with it (a
    merged transaction, its members); one query finds that most have none."""
    patched = store.patched_fields(connection, [tx_id for _, givers in takers for tx_id in givers])
    return [
        handed_over(connection, givers, tx) if any(g in patched for g in givers) else tx
        for tx, givers in takers
    ]


def handed_over(
    connection: sqlite3.Connection, from_ids: Sequence[str], to: Transaction
) -> Transaction:
    """``to`` with the fields a user patched on the stored transactions ``from_ids``, and their
    values (the first of them to have patched a field gives it), now noted on ``to`` and no
    longer on them. Must run before they are deleted or written again."""
    patched = store.patched_fields(connection, from_ids)
    taken: dict[str, Any] = {}
    for tx_id in from_ids:
        fields = patched.get(tx_id, set()) - taken.keys()
        stored = stored_transaction(connection, tx_id) if fields else None
        if stored is not None:
            taken |= {field: getattr(stored, field) for field in fields}
    store.forget_patched(connection, from_ids)
    store.mark_patched(connection, to.id, sorted(taken))
    return replace(to, **taken) if taken else to


def stored_transaction(connection: sqlite3.Connection, tx_id: str) -> Transaction | None:
    row = connection.execute("SELECT * FROM transactions WHERE id = ?", (tx_id,)).fetchone()
    return None if row is None else transaction_from_row(row)
