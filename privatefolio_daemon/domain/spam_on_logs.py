"""A "spam" tag a user puts on a transaction, or takes off, goes on or off its audit logs with
it, as spam detection puts it on both: audit logs filtered by tag, or with spam hidden, show what
their transaction shows. The logs' tags are then the user's: spam detection takes none of them
off, and puts none back on."""

import sqlite3

from privatefolio_daemon.store import ledger, spam_cleared, spam_detected
from privatefolio_daemon.store import tags as tag_store


def spam_onto_logs(connection: sqlite3.Connection, tx_id: str, spam_id: int) -> bool:
    """The "spam" tag (``spam_id``) on each audit log of the transaction; whether one had not
    had it."""
    log_ids = ledger.log_ids_of(connection, tx_id)
    tagged = tag_store.link_tag(connection, "auditLog", log_ids, spam_id)
    for log_id in log_ids:
        spam_cleared.unmark_cleared(connection, "auditLog", log_id)
    spam_detected.forget_detected(connection, "auditLog", log_ids)
    return bool(tagged)


def spam_off_logs(connection: sqlite3.Connection, tx_id: str, spam_id: int) -> bool:
    """The "spam" tag (``spam_id``) off each audit log of the transaction, to stay off; whether
    one had it."""
    log_ids = ledger.log_ids_of(connection, tx_id)
    untagged = [
        log_id
        for log_id in log_ids
        if tag_store.unlink_tag(connection, "auditLog", log_id, spam_id)
    ]
    for log_id in log_ids:
        spam_cleared.mark_cleared(connection, "auditLog", log_id)
    spam_detected.forget_detected(connection, "auditLog", log_ids)
    return bool(untagged)
