"""Saving an auto-merge, and undoing the merges a file import or connection takes part in when it
is removed: the transactions of the other sources come back (merged again where two or more
remain), with their logs, the merged transaction's tags, and the notes and patched fields
``unmerged_edits`` gives back. A source that writes a merged transaction's members again (a
connection synced again from its start) undoes that merge whole first, so the side effects
merge the members again instead of keeping both."""

import sqlite3
from collections.abc import Callable, Sequence

from privatefolio_daemon.domain.auto_merge import AutoMergeResult, auto_merge
from privatefolio_daemon.domain.ledger_rows import audit_log_from_row, transaction_from_wire
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.domain.spam import SPAM_TAG, is_spam
from privatefolio_daemon.domain.thread_progress import Report
from privatefolio_daemon.domain.transaction_patches import taking_patches
from privatefolio_daemon.domain.unmerged_edits import Member, given_back
from privatefolio_daemon.store import ledger, spam_cleared, spam_detected
from privatefolio_daemon.store import merged_members as store
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.patched_fields import patched_fields


def _quiet(_percent: float | None, _message: str | None = None) -> None:
    pass


def save_merge(
    connection: sqlite3.Connection,
    result: AutoMergeResult,
    report: Report = _quiet,
    is_listed: Callable[[str], bool] | None = None,
) -> None:
    """Upsert the merged rows, re-point and rename the logs, delete the members: all or nothing.
    What each merged transaction replaced is noted, with the fields a user patched on each, for
    ``split_merges_of``; it takes those fields."""
    merged = len(result.merged)
    report(50, f"Saving {merged} merged transactions")
    patched = patched_fields(connection, [m.id for ms in result.members.values() for m in ms])
    for merged_id, members in result.members.items():
        store.record_members(connection, merged_id, members, patched)
    takers = [(tx, [member.id for member in result.members[tx.id]]) for tx in result.merged]
    ledger.insert_transactions(connection, taking_patches(connection, takers))
    report(70, f"Updating the audit logs of {merged} merged transactions")
    store.keep_log_origins(connection, [update.log_id for update in result.log_updates])
    connection.executemany(
        "UPDATE audit_logs SET txId = ?, operation = ? WHERE id = ?",
        ((update.tx_id, update.operation, update.log_id) for update in result.log_updates),
    )
    report(90, f"Deleting {len(result.deleted_ids)} deduplicated transactions")
    _move_tags(connection, result.merged_into)
    _clear_spam_of_non_spam(connection, result, is_listed)
    connection.executemany(
        "DELETE FROM transactions WHERE id = ?", ((tx_id,) for tx_id in result.deleted_ids)
    )


def _move_tags(connection: sqlite3.Connection, merged_into: dict[str, str]) -> None:
    """Give each merged transaction the tags of the members it replaces, which lose theirs. Its
    ``spam`` tag is detection's if no member had one a user put on; a member a user cleared of
    ``spam`` leaves it cleared."""
    spam = tag_store.tag_by_name(connection, SPAM_TAG)
    by_detection: set[str] = set()
    by_hand = {  # a merged transaction merged again keeps a tag a user put on it
        merged_id
        for merged_id in set(merged_into.values())
        if spam is not None
        and tag_store.has_tag(connection, "transaction", merged_id, spam[0])
        and not spam_detected.is_detected(connection, "transaction", merged_id)
    }
    for member_id, merged_id in merged_into.items():
        if spam_cleared.is_cleared(connection, "transaction", member_id):
            spam_cleared.mark_cleared(connection, "transaction", merged_id)
            spam_cleared.unmark_cleared(connection, "transaction", member_id)
        for (tag_id,) in connection.execute(
            "SELECT tag_id FROM transaction_tags WHERE transaction_id = ?", (member_id,)
        ).fetchall():
            tag_store.link_tag(connection, "transaction", [merged_id], tag_id)
            if spam is not None and tag_id == spam[0]:
                detected = spam_detected.is_detected(connection, "transaction", member_id)
                (by_detection if detected else by_hand).add(merged_id)
    tag_store.untag_items(connection, "transaction", merged_into)
    spam_detected.forget_detected(connection, "transaction", merged_into)
    spam_detected.mark_detected(connection, "transaction", by_detection - by_hand)


def _clear_spam_of_non_spam(
    connection: sqlite3.Connection,
    result: AutoMergeResult,
    is_listed: Callable[[str], bool] | None,
) -> None:
    """A merged transaction is spam only if it looks so itself (data-model §11), whatever one of
    its members looked like alone: an ERC-20 deposit judged before its normal row was imported
    gives neither the merged transaction nor the logs the ``spam`` tag detection put on, so the
    order of the imports does not matter (a user's stays). Without ``is_listed``, only a fee
    clears it."""
    spam = tag_store.tag_by_name(connection, SPAM_TAG)
    if spam is None:
        return
    not_spam = {
        tx.id
        for tx in result.merged
        if tx.fee or (is_listed is not None and not is_spam(tx, is_listed))
    }
    # Only the tags detection put on: a user's stays.
    untagged = [
        tx_id for tx_id in not_spam if spam_detected.is_detected(connection, "transaction", tx_id)
    ]
    untagged_logs = [
        update.log_id
        for update in result.log_updates
        if update.tx_id in not_spam
        and spam_detected.is_detected(connection, "auditLog", update.log_id)
    ]
    for tx_id in untagged:
        tag_store.unlink_tag(connection, "transaction", tx_id, spam[0])
    for log_id in untagged_logs:
        tag_store.unlink_tag(connection, "auditLog", log_id, spam[0])
    spam_detected.forget_detected(connection, "transaction", untagged)
    spam_detected.forget_detected(connection, "auditLog", untagged_logs)


def split_merges_of(
    connection: sqlite3.Connection, column: store.SourceColumn, source_id: str
) -> bool:
    """Before a file import's or connection's rows are deleted: each merged transaction that
    stands for one of its transactions gives way to the members of other sources, merged again
    where two or more remain. Must run inside the transaction that deletes the rows. True if
    a member came back: it is new to spam detection, as after its import."""
    kept: list[Transaction] = []
    kept_logs: list[str] = []
    for merged_id in store.merged_ids_with_members_of(connection, column, source_id):
        members = _members(connection, merged_id, lambda tx: getattr(tx, column) != source_id)
        kept += _unmerge(connection, merged_id, members)
        kept_logs += store.restore_logs(connection, [member.tx.id for member in members])
    if kept:
        save_merge(connection, auto_merge(kept, _logs(connection, kept_logs)))
    return bool(kept)


def split_merges_with(connection: sqlite3.Connection, member_ids: Sequence[str]) -> bool:
    """Before these transactions are written again: each merged transaction that stands for one
    of them gives way to all its members, with their logs as they were. Must run inside the
    transaction that writes them. True if a merge was undone."""
    merged_ids = store.merged_ids_of_members(connection, member_ids)
    for merged_id in merged_ids:
        members = _members(connection, merged_id, lambda _tx: True)
        _unmerge(connection, merged_id, members)
        store.restore_logs(connection, [member.tx.id for member in members])
    return bool(merged_ids)


def _members(
    connection: sqlite3.Connection, merged_id: str, stays: Callable[[Transaction], bool]
) -> list[Member]:
    """A merged transaction's members, which are then no longer noted."""
    members = []
    for record in store.take_members(connection, merged_id):
        tx = transaction_from_wire(record.row)
        members.append(Member(tx, record.patched, stays(tx)))
    return members


def _unmerge(
    connection: sqlite3.Connection,
    merged_id: str,
    members: list[Member],
) -> list[Transaction]:
    """The staying members in place of the merged transaction, with its tags (a ``spam`` tag
    detection put on stays detection's), and the notes and patched fields ``given_back``."""
    tags = tag_store.tags_of(connection, "transaction", merged_id)
    staying = given_back(connection, merged_id, members)
    detected = spam_detected.is_detected(connection, "transaction", merged_id)
    if spam_cleared.is_cleared(connection, "transaction", merged_id):
        spam_cleared.unmark_cleared(connection, "transaction", merged_id)
        for member in staying:
            spam_cleared.mark_cleared(connection, "transaction", member.id)
    tag_store.untag_items(connection, "transaction", [merged_id])
    spam_detected.forget_detected(connection, "transaction", [merged_id])
    connection.execute("DELETE FROM transactions WHERE id = ?", (merged_id,))
    ledger.insert_transactions(connection, staying)
    for tag_id, name in tags:
        tagged = tag_store.link_tag(connection, "transaction", [m.id for m in staying], tag_id)
        if name == SPAM_TAG and detected:
            spam_detected.mark_detected(connection, "transaction", tagged)
    return staying


def _logs(connection: sqlite3.Connection, log_ids: list[str]) -> list[AuditLog]:
    return [
        audit_log_from_row(row)
        for log_id in log_ids
        for row in connection.execute("SELECT * FROM audit_logs WHERE id = ?", (log_id,))
    ]
