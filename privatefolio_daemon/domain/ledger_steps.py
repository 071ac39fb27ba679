"""The ``Detect spam transactions`` and ``Auto-merge transactions`` steps (data-model §10–11):
the pure rules of ``spam.py`` and ``auto_merge.py``, run over an account's database.
"""

import sqlite3
from collections.abc import Callable, Sequence

from privatefolio_daemon.domain.assets import Assets
from privatefolio_daemon.domain.auto_merge import AutoMergeResult, auto_merge
from privatefolio_daemon.domain.derived_steps import AUTO_MERGE, DETECT_SPAM, Cancel, Progress, Step
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.ledger_rows import audit_log_from_row, transaction_from_row
from privatefolio_daemon.domain.merged_transactions import save_merge
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.spam import SPAM_TAG, find_spam
from privatefolio_daemon.domain.thread_progress import thread_safe
from privatefolio_daemon.store import ledger, spam_cleared
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.in_lists import rows_where_in

_EVM = "substr(platformId, 1, 6) = 'chain.'"
_EVM_TRANSACTIONS = f"SELECT * FROM transactions WHERE {_EVM} {ledger.TRANSACTION_ORDER}"
_EVM_AUDIT_LOGS = (
    f"SELECT * FROM audit_logs WHERE txId IN (SELECT id FROM transactions WHERE {_EVM})"
)


def _evm_transactions(connection: sqlite3.Connection) -> list[Transaction]:
    return [transaction_from_row(row) for row in connection.execute(_EVM_TRANSACTIONS)]


class LedgerSteps:
    def __init__(
        self,
        db_of: Callable[[str], Database],
        assets_of: Callable[[str], Assets],
        events: EventBus,
    ) -> None:
        self._db_of = db_of
        self._assets_of = assets_of
        self._events = events

    def steps(self) -> dict[str, Step]:
        return {DETECT_SPAM: self.detect_spam, AUTO_MERGE: self.auto_merge}

    async def auto_merge(self, account: str, progress: Progress, cancel: Cancel) -> None:
        db = self._db_of(account)
        progress(0, "Fetching all transactions")

        def load(connection: sqlite3.Connection) -> AutoMergeResult:
            transactions = _evm_transactions(connection)
            logs = (audit_log_from_row(row) for row in connection.execute(_EVM_AUDIT_LOGS))
            return auto_merge(transactions, logs)

        result = await db.read(load)
        progress(25, f"Processing {result.evm_transactions} (EVM) transactions")
        listed = await self._assets_of(account).listed_ids()
        cancel.checkpoint()
        report = thread_safe(progress)
        await db.transaction(
            lambda connection: save_merge(connection, result, report, listed.__contains__)
        )
        if result.merged:
            self._events.emit("transactions", "created", account=account)
        progress(100, "Done")

    async def detect_spam(self, account: str, progress: Progress, cancel: Cancel) -> None:
        db = self._db_of(account)
        progress(0, "Fetching all transactions")
        transactions = await db.read(_evm_transactions)
        progress(33, f"Processing {len(transactions)} (EVM) transactions")
        listed = await self._assets_of(account).listed_ids()
        found = find_spam(transactions, listed.__contains__)
        spam_ids = await db.read(lambda conn: spam_cleared.not_cleared(conn, "transaction", found))
        cancel.checkpoint()
        progress(66, f"Tagging {len(spam_ids)} spam transactions")
        created, tagged_logs = await db.transaction(lambda conn: _tag_spam(conn, spam_ids))
        if created:
            self._events.emit("tags", "created", account=account)
        progress(90, f"Tagged {tagged_logs} audit logs")
        self._events.emit("audit-logs", "updated", account=account)
        self._events.emit("transactions", "updated", account=account)
        progress(100, "Done")


def _tag_spam(connection: sqlite3.Connection, spam_ids: Sequence[str]) -> tuple[bool, int]:
    """Tag the spam transactions and their audit logs; returns (tag created, logs tagged)."""
    spam_ids = spam_cleared.not_cleared(connection, "transaction", spam_ids)
    if not spam_ids:
        return False, 0
    tag, created = tag_store.ensure_tag(connection, SPAM_TAG)
    tag_store.link_tag(connection, "transaction", spam_ids, tag[0])
    sql = "SELECT id FROM audit_logs WHERE txId IN ({marks})"
    log_ids = [row[0] for row in rows_where_in(connection, sql, spam_ids)]
    log_ids = spam_cleared.not_cleared(connection, "auditLog", log_ids)
    tag_store.link_tag(connection, "auditLog", log_ids, tag[0])
    return created, len(log_ids)
