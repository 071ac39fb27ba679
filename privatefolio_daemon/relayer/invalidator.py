"""Lowering the derived-data cursors as soon as audit logs change, not debounced.

The refresh chain that follows a change is queued a moment later (``debounce``), so that a burst
of changes gives one chain. The invalidation does not wait for it: a daemon stopped (or killed)
in between would otherwise keep derived data computed from the old ledger, since the next
refresh starts from the cursors. Changes heard while a write runs are merged into the next one.
"""

import asyncio
import logging
from functools import partial

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import LedgerInvalidation, invalidate_for_ledger
from privatefolio_daemon.domain.stale_announcements import announce_deleted
from privatefolio_daemon.store.database import Database

log = logging.getLogger(__name__)

#: The audit-log causes that change the ledger. Not ``updated`` (balances, tags), nor ``reset``:
#: a reset or restored database comes with its own cursors (the chain records its time span).
LEDGER_CAUSES = frozenset({"created", "deleted"})


class LedgerInvalidator:
    """Listens to ``audit-logs`` events ``(cause, oldestTimestamp, groupId)`` of one account."""

    def __init__(self, account: str, db: Database, events: EventBus) -> None:
        self._account = account
        self._db = db
        self._events = events
        self._pending = False
        self._oldest: int | None = None
        #: Whether a change heard since the last write created audit logs.
        self._created = False
        self._writer: asyncio.Task[None] | None = None

    def __call__(
        self, cause: str, oldest_timestamp: int | None = None, group_id: str | None = None
    ) -> None:
        if cause not in LEDGER_CAUSES:
            return
        if oldest_timestamp is not None:
            known = self._oldest
            self._oldest = oldest_timestamp if known is None else min(known, oldest_timestamp)
        self._pending = True
        self._created = self._created or cause == "created"
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(
                self._write_pending(), name=f"invalidate-{self._account}"
            )

    async def settled(self) -> None:
        """Wait until every change heard so far is written (or failed, logged)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def record(self, oldest: int | None, created: bool = False) -> LedgerInvalidation:
        """Write one invalidation (``invalidate_for_ledger``) and announce what it changed."""
        result = await self._db.write(
            partial(invalidate_for_ledger, oldest=oldest, passes_owed=created)
        )
        emit = partial(self._events.emit, account=self._account)
        emit("key-value", "genesis", result.genesis)
        emit("key-value", "lastTx", result.last_tx)
        for kind in result.deleted:
            announce_deleted(self._events, self._account, kind)
        return result

    async def _write_pending(self) -> None:
        while self._pending:
            oldest, self._oldest, self._pending = self._oldest, None, False
            created, self._created = self._created, False
            try:
                await self.record(oldest, created)
            except Exception:
                log.exception("%s: invalidating derived data from %s failed", self._account, oldest)
