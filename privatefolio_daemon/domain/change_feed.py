"""Reading the change feed (design §7): pages of changes, a snapshot, and following it live.

A page is ``{feedId, lastSeq, changes, hasMore}``. A change is ``{seq, entity, recordId, version,
deleted, record, eventId, timestamp}``: the record as it is after the change (``None`` once
deleted), its new version (the change's ``seq``), and the event that made it, if a client
submitted one. A client that finds another ``feedId`` than the one it knew (the account was
reset or restored from a backup) reads a new snapshot.

Following the feed replays the changes after a given ``seq``, then delivers new ones as they are
committed. Every delivery is read from the database after the last ``seq`` delivered, one
delivery at a time, so the client sees every change once and in order, however the live
notifications and the replay interleave. Each delivery is awaited before the next page is
read, so a ``deliver`` that waits for its client paces the replay. A follower goes on under an
account's new name, and its next page says ``renamedTo``; when the account is deleted, a last
page says ``accountDeleted``.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from privatefolio_daemon.domain.errors import DomainError
from privatefolio_daemon.domain.events import (
    ACCOUNT_DELETED,
    ACCOUNT_RENAMED,
    ACCOUNT_REOPENED,
    EventBus,
)
from privatefolio_daemon.domain.synced_records import all_records
from privatefolio_daemon.store import change_log
from privatefolio_daemon.store.database import Database

log = logging.getLogger(__name__)

PAGE_LIMIT = 500
MAX_PAGE_LIMIT = 5000

#: The channels on which every write of a synced record is announced (an account reset or
#: restore too, with ``reset``): manual transactions, asset preferences (a price API found by
#: the price fetch included), tags (their assignments to audit logs and trades are announced on
#: those records' channels), settings, synced key-value entries and connections.
ANNOUNCING_CHANNELS = (
    "transactions",
    "audit-logs",
    "trades",
    "metadata",
    "tags",
    "settings",
    "key-value",
    "daily-prices",
    "connections",
)

Page = dict[str, Any]


def _change_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, entity, record_id, record, event_id, timestamp = row
    return {
        "seq": seq,
        "entity": entity,
        "recordId": record_id,
        "version": seq,
        "deleted": record is None,
        "record": None if record is None else orjson.loads(record),
        "eventId": event_id,
        "timestamp": timestamp,
    }


def read_page(connection: sqlite3.Connection, after_seq: int, limit: int) -> Page:
    rows = change_log.changes_after(connection, after_seq, limit + 1)
    return {
        "feedId": change_log.feed_id(connection),
        "lastSeq": change_log.last_seq(connection),
        "changes": [_change_to_wire(row) for row in rows[:limit]],
        "hasMore": len(rows) > limit,
    }


def read_snapshot(connection: sqlite3.Connection) -> dict[str, Any]:
    return {
        "feedId": change_log.feed_id(connection),
        "lastSeq": change_log.last_seq(connection),
        "records": all_records(connection),
    }


def _in_one_read(function: Callable[[sqlite3.Connection], Any]) -> Callable[..., Any]:
    def read(connection: sqlite3.Connection) -> Any:
        connection.execute("BEGIN")
        try:
            return function(connection)
        finally:
            connection.execute("COMMIT")

    return read


class ChangeFeed:
    def __init__(self, db_of: Callable[[str], Database], events: EventBus) -> None:
        self._db_of = db_of
        self._events = events

    async def page(self, account: str, after_seq: int, limit: int = PAGE_LIMIT) -> Page:
        read = _in_one_read(lambda connection: read_page(connection, after_seq, limit))
        page: Page = await self._db_of(account).read(read)
        return page

    async def snapshot(self, account: str) -> dict[str, Any]:
        snapshot: dict[str, Any] = await self._db_of(account).read(_in_one_read(read_snapshot))
        return snapshot

    def follow(
        self,
        account: str,
        after_seq: int,
        deliver: Callable[[Page], Awaitable[Any]],
        known_feed_id: str | None = None,
    ) -> Callable[[], None]:
        """Replay the changes after ``after_seq``, then deliver new ones; returns the stop.

        A ``known_feed_id`` that is no longer the feed's starts with a ``reset`` page."""
        self._db_of(account)
        follower = _Follower(self, account, after_seq, deliver, known_feed_id)
        follower.listen()
        follower.wake()
        return follower.close

    def is_open(self, account: str) -> bool:
        """Whether the account is open under that name (not renamed, reset, restored or deleted
        meanwhile)."""
        try:
            return not self._db_of(account).closed
        except DomainError:
            return False

    def subscribe_to_account(
        self, account: str, wake: Callable[..., None]
    ) -> list[Callable[[], None]]:
        channels = (*ANNOUNCING_CHANNELS, ACCOUNT_REOPENED)  # the end of a reset or restore
        return [self._events.subscribe(channel, wake, account) for channel in channels]

    def subscribe_to_lifecycle(
        self, renamed: Callable[[str, str], None], deleted: Callable[[str], None]
    ) -> list[Callable[[], None]]:
        return [
            self._events.subscribe(ACCOUNT_RENAMED, renamed),
            self._events.subscribe(ACCOUNT_DELETED, deleted),
        ]


class _Follower:
    def __init__(
        self,
        feed: ChangeFeed,
        account: str,
        after_seq: int,
        deliver: Callable[[Page], Awaitable[Any]],
        known_feed_id: str | None,
    ) -> None:
        self._feed = feed
        self._account = account
        self._after = after_seq
        self._deliver = deliver
        self._feed_id = known_feed_id
        self._wanted = False
        self._task: asyncio.Task[None] | None = None
        self._account_stops: list[Callable[[], None]] = []
        self._lifecycle_stops: list[Callable[[], None]] = []
        self._renamed_to: str | None = None
        self._deleted = False

    def listen(self) -> None:
        self._account_stops = self._feed.subscribe_to_account(self._account, self.wake)
        self._lifecycle_stops = self._feed.subscribe_to_lifecycle(self._renamed, self._gone)

    def wake(self, *_: Any) -> None:
        self._wanted = True
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    def close(self) -> None:
        self._stop_listening()
        if self._task is not None:
            self._task.cancel()

    def _stop_listening(self) -> None:
        for unsubscribe in [*self._account_stops, *self._lifecycle_stops]:
            unsubscribe()
        self._account_stops = self._lifecycle_stops = []

    def _renamed(self, old: str, new: str) -> None:
        if old != self._account:
            return
        for unsubscribe in self._account_stops:
            unsubscribe()
        self._account, self._renamed_to = new, new
        self._account_stops = self._feed.subscribe_to_account(new, self.wake)
        self.wake()

    def _gone(self, name: str) -> None:
        if name != self._account:
            return
        self._stop_listening()
        self._deleted = True
        self.wake()

    async def _run(self) -> None:
        while self._wanted:
            self._wanted = False
            account = self._account
            try:
                await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._deleted or account != self._account:  # the last page, the new name
                    continue
                if self._feed.is_open(account):
                    log.exception("Following the change feed of %s stopped", account)
                    return
                # Closed for a rename, a reset or a restore: the new name, or the reopening,
                # wakes the follower.
                log.info(
                    "Following the change feed of %s waits for the account: %s", account, error
                )
                return

    async def _catch_up(self) -> None:
        if self._deleted:
            await self._deliver(self._last_page())
            return
        while True:
            page = await self._feed.page(self._account, self._after)
            if self._renamed_to is not None:
                page["renamedTo"], self._renamed_to = self._renamed_to, None
            if self._feed_id is not None and page["feedId"] != self._feed_id:
                self._after = 0
                page = {**await self._feed.page(self._account, 0), "reset": True}
            self._feed_id = page["feedId"]
            if not page["changes"] and not page.get("reset") and "renamedTo" not in page:
                return
            if page["changes"]:
                self._after = page["changes"][-1]["seq"]
            await self._deliver(page)
            if not page["hasMore"]:
                return

    def _last_page(self) -> Page:
        return {
            "feedId": self._feed_id,
            "lastSeq": self._after,
            "changes": [],
            "hasMore": False,
            "accountDeleted": True,
        }
