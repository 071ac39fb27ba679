"""The ``Detect spam transactions`` and ``Auto-merge transactions`` steps (data-model §10–11):
the pure rules of ``spam.py`` and ``auto_merge.py``, run over an account's database.

A cancel interrupts the reading of the ledger and the save: a pass cancelled before its commit
writes nothing (and stays owed); one cancelled as it commits completes.
"""

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial

from privatefolio_daemon import collector
from privatefolio_daemon.domain.assets import Assets
from privatefolio_daemon.domain.auto_merge import AutoMergeResult, auto_merge
from privatefolio_daemon.domain.derived_steps import (
    AUTO_MERGE,
    DETECT_SPAM,
    Progress,
    SqlCancel,
    Step,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.ledger_rows import audit_log_from_row, transaction_from_row
from privatefolio_daemon.domain.merged_transactions import save_merge
from privatefolio_daemon.domain.passes_owed import owed_mark, settle_pass
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.spam import find_spam
from privatefolio_daemon.domain.spam_tagging import SpamTagging, tag_spam
from privatefolio_daemon.domain.thread_progress import thread_safe
from privatefolio_daemon.large_lists import empty_dict_in_parts, empty_in_parts
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through

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

    async def auto_merge(self, account: str, progress: Progress, cancel: SqlCancel) -> None:
        with collector.paused():  # until the records are freed
            await self._auto_merge(account, progress, cancel)

    async def _auto_merge(self, account: str, progress: Progress, cancel: SqlCancel) -> None:
        db = self._db_of(account)
        progress(0, "Fetching all transactions")

        def load(connection: sqlite3.Connection) -> AutoMergeResult:
            transactions = _evm_transactions(connection)
            logs = (audit_log_from_row(row) for row in connection.execute(_EVM_AUDIT_LOGS))
            result = auto_merge(transactions, logs)
            empty_in_parts(transactions)  # those not merged, freed here rather than in one step
            cancel.checkpoint()
            return result

        seen = await db.read(partial(owed_mark, step=AUTO_MERGE))
        result = await db.read(cancel.guard_sql(load))
        progress(25, f"Processing {result.evm_transactions} (EVM) transactions")
        listed = await self._assets_of(account).listed_ids()
        cancel.checkpoint()
        report = thread_safe(progress)

        def save(connection: sqlite3.Connection) -> None:
            save_merge(connection, result, report, listed.__contains__)
            settle_pass(connection, AUTO_MERGE, seen)
            cancel.checkpoint()  # the last moment a cancel leaves nothing saved

        any_merged = bool(result.merged)
        try:
            # Once committed, the merge is announced even if the task was cancelled meanwhile.
            await seen_through(db.transaction(cancel.guard_sql(save)))
        finally:
            await asyncio.to_thread(_empty, result)
        if any_merged:
            self._events.emit("transactions", "created", account=account)
        progress(100, "Done")

    async def detect_spam(self, account: str, progress: Progress, cancel: SqlCancel) -> None:
        with collector.paused():  # until the records are freed
            await self._detect_spam(account, progress, cancel)

    async def _detect_spam(self, account: str, progress: Progress, cancel: SqlCancel) -> None:
        db = self._db_of(account)
        progress(0, "Fetching all transactions")
        seen = await db.read(partial(owed_mark, step=DETECT_SPAM))
        transactions = await db.read(cancel.guard_sql(_evm_transactions))
        cancel.checkpoint()
        progress(33, f"Processing {len(transactions)} (EVM) transactions")
        listed = await self._assets_of(account).listed_ids()
        found = await asyncio.to_thread(_spam_among, transactions, listed.__contains__)
        cancel.checkpoint()
        report = thread_safe(progress)

        def tag(connection: sqlite3.Connection) -> SpamTagging:
            tagging = tag_spam(connection, found, report)
            settle_pass(connection, DETECT_SPAM, seen)
            cancel.checkpoint()  # the last moment a cancel leaves nothing saved
            return tagging

        tagging = await seen_through(db.transaction(cancel.guard_sql(tag)))  # committed: announced
        if tagging.tag_created:
            self._events.emit("tags", "created", account=account)
        progress(90, f"Tagged {tagging.logs_tagged} audit logs")
        if tagging.transactions_untagged:
            untagged = tagging.transactions_untagged
            progress(95, f"Took the spam tag off {untagged} transactions no longer spam")
        self._events.emit("audit-logs", "updated", account=account)
        self._events.emit("transactions", "updated", account=account)
        progress(100, "Done")


def _empty(result: AutoMergeResult) -> None:
    """On a thread: free what a merge holds a part at a time, not in one step on the loop (every
    EVM transaction merged and each log update: 1.6 s for 280k merges)."""
    empty_in_parts(result.merged)
    empty_in_parts(result.log_updates)
    empty_dict_in_parts(result.members)
    empty_dict_in_parts(result.merged_into)


def _spam_among(transactions: list[Transaction], is_listed: Callable[[str], bool]) -> list[str]:
    """On a thread: the spam among ``transactions``, which are then freed a part at a time."""
    found = find_spam(transactions, is_listed)
    empty_in_parts(transactions)
    return found
