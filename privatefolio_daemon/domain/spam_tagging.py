"""Writing what spam detection found: the ``spam`` tag on the spam transactions and their audit
logs, and off the items detection tagged before that no longer look like spam. Items a user
cleared stay untagged, and so do the logs of a transaction a user cleared; a ``spam`` tag a user
put on stays."""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from privatefolio_daemon.domain.spam import SPAM_TAG
from privatefolio_daemon.domain.thread_progress import Report
from privatefolio_daemon.store import spam_cleared, spam_detected
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.in_lists import rows_where_in


@dataclass(frozen=True, slots=True)
class SpamTagging:
    tag_created: bool
    logs_tagged: int
    transactions_untagged: int


def tag_spam(connection: sqlite3.Connection, found: Sequence[str], report: Report) -> SpamTagging:
    """``found``: the transactions that look like spam, those a user cleared included. A cleared
    one and its logs lose a tag of detection's: an older version left it on the logs, and a
    merge brings it from another member."""
    spam_ids = spam_cleared.not_cleared(connection, "transaction", found)
    report(66, f"Tagging {len(spam_ids)} spam transactions")
    untagged = _untag_no_longer_spam(connection, set(spam_ids))
    if not spam_ids:
        return SpamTagging(False, 0, untagged)
    tag, created = tag_store.ensure_tag(connection, SPAM_TAG)
    tagged = tag_store.link_tag(connection, "transaction", spam_ids, tag[0])
    spam_detected.mark_detected(connection, "transaction", tagged)
    sql = "SELECT id FROM audit_logs WHERE txId IN ({marks})"
    log_ids = [row[0] for row in rows_where_in(connection, sql, spam_ids)]
    log_ids = spam_cleared.not_cleared(connection, "auditLog", log_ids)
    tagged = tag_store.link_tag(connection, "auditLog", log_ids, tag[0])
    spam_detected.mark_detected(connection, "auditLog", tagged)
    return SpamTagging(created, len(log_ids), untagged)


def _untag_no_longer_spam(connection: sqlite3.Connection, spam_ids: set[str]) -> int:
    """Take detection's tag off its items that are not spam now (or were cleared by a user);
    returns the transactions."""
    stale_transactions = [
        tx_id for tx_id in spam_detected.detected_transactions(connection) if tx_id not in spam_ids
    ]
    stale_logs = [
        log_id
        for log_id, tx_id in spam_detected.detected_logs(connection)
        if tx_id is None or tx_id not in spam_ids
    ]
    spam_detected.forget_detected(connection, "transaction", stale_transactions)
    spam_detected.forget_detected(connection, "auditLog", stale_logs)
    tag = tag_store.tag_by_name(connection, SPAM_TAG)
    if tag is None:
        return 0
    for log_id in stale_logs:
        tag_store.unlink_tag(connection, "auditLog", log_id, tag[0])
    return sum(
        tag_store.unlink_tag(connection, "transaction", tx_id, tag[0])
        for tx_id in stale_transactions
    )
