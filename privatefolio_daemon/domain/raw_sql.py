"""The power user's SQL on an account: ``readSql`` reads on a read-only connection, and
``executeSql`` changes rows on the writer, in a transaction of its own.

A statement that changed rows is announced on the channels of the tables it changed. A change
to the audit logs starts the side-effect chain from the first day, since the daemon cannot tell
which days the statement touched; so does a change to the daily prices, for the net worth and
the trades' PnL.

A statement that changes synced records (design §7) appends their changes to the sync feed in
its own transaction, as the daemon's methods do, so other devices see them and an event sent
with an older version conflicts. The tables it would change are learned by compiling it first;
the records stored in them are read before and after it runs, and those that differ are logged.
Audit logs or transactions it deletes lose their tags, as they do when the daemon deletes them.
"""

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from privatefolio_daemon.answer_memory import read_in_turn
from privatefolio_daemon.domain.daemon_keys import DAEMON_KEYS, daemon_key_refusal
from privatefolio_daemon.domain.derived_steps import PRICES_CHANGED
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation, invalidate_for_prices
from privatefolio_daemon.domain.synced_records import (
    SyncedChange,
    changed_records,
    entities_in,
    read_records,
)
from privatefolio_daemon.domain.timeutil import day_start
from privatefolio_daemon.domain.value_bounds import check_synced_value
from privatefolio_daemon.large_lists import empty_in_parts
from privatefolio_daemon.store.change_log import append_change
from privatefolio_daemon.store.client_sql import (
    StatementResult,
    run_client_query,
    run_row_statement,
    tables_changed_by,
)
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value
from privatefolio_daemon.store.patched_fields import forget_deleted
from privatefolio_daemon.store.tags import untag_deleted_items
from privatefolio_daemon.store.trades_scratch import TRADE_TABLES, next_generation

#: What to announce when a table's rows changed: the channel and its arguments.
_ANNOUNCEMENTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "audit_logs": ("audit-logs", ("deleted", 0, None)),
    "transactions": ("transactions", ("updated",)),
    "tags": ("tags", ("updated",)),
    "audit_log_tags": ("audit-logs", ("updated",)),
    "transaction_tags": ("transactions", ("updated",)),
    "trade_tags": ("trades", ("updated",)),
    "trades": ("trades", ("updated",)),
    "assets": ("metadata", ()),
    "file_imports": ("file-imports", ("updated",)),
    "connections": ("connections", ("updated",)),
    "notifications": ("notifications", ("updated",)),
    "chat_history": ("chat-history", ("created",)),
    "daily_prices": ("daily-prices", ()),
}


class RawSql:
    def __init__(self, account: str, db: Database, events: EventBus, budget: float) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._budget = budget

    async def read(self, sql: str, params: Sequence[Any]) -> list[list[Any]]:
        """A large result takes its turn in the daemon's budget for answers."""
        return await read_in_turn(
            lambda: self._db.read_client(  # the rows made lists on the reader's thread
                lambda conn: _as_lists(run_client_query(conn, sql, params, self._budget)),
                wait_seconds=self._budget,
            )
        )

    async def execute(self, sql: str, params: Sequence[Any]) -> list[list[Any]]:
        result, synced, repriced = await self._db.transaction(
            lambda conn: self._run(conn, sql, params)
        )
        announced: set[tuple[str, tuple[Any, ...]]] = set()
        for table in sorted(result.changed_tables):
            announcement = _ANNOUNCEMENTS.get(table)
            if announcement is not None and announcement not in announced:
                announced.add(announcement)
                channel, args = announcement
                self._events.emit(channel, *args, account=self.account)
        self._announce_synced_values(synced)
        if repriced is not None:
            for key, value in repriced.lowered.items():
                self._events.emit("key-value", key, value, account=self.account)
            self._events.emit(PRICES_CHANGED, account=self.account)
        return await asyncio.to_thread(_as_lists, result.rows)

    def _run(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any]
    ) -> tuple[StatementResult, list[SyncedChange], PriceInvalidation | None]:
        """An edit of the trades tables outdates a trades run computed meanwhile off the writer
        (see ``domain/trades_offline.py``), as an invalidation does."""
        tables = tables_changed_by(conn, sql, params)
        entities = entities_in(tables)
        before = read_records(conn, entities)
        keys_before = _daemon_keys(conn) if "key_value" in tables else None
        result = run_row_statement(conn, sql, params, self._budget)
        if keys_before is not None:
            _refuse_changed_daemon_keys(keys_before, _daemon_keys(conn))
        if result.changed_tables & set(TRADE_TABLES):
            next_generation(conn)
        repriced = None
        if "daily_prices" in result.changed_tables:
            repriced = _reprice_everything(conn)
        if not result.changed_tables:
            return result, [], None
        synced = changed_records(before, read_records(conn, entities))
        for entity, record_id, record in synced:
            if entity in ("settings", "value"):  # what setValue would refuse, this does too
                check_synced_value(record_id, read_value(conn, record_id))
            append_change(conn, entity, record_id, record)
        untag_deleted_items(conn, result.changed_tables)
        if "transactions" in result.changed_tables:
            forget_deleted(conn)
        return result, synced, repriced

    def _announce_synced_values(self, synced: list[SyncedChange]) -> None:
        """Key-value entries have no table channel: announce the synced ones that changed."""
        for entity, record_id, record in synced:
            if entity == "settings":
                self._events.emit("settings", record, account=self.account)
                self._events.emit(
                    "key-value", record_id, orjson.dumps(record).decode(), account=self.account
                )
            elif entity == "value":
                value = None if record is None else record["value"]
                self._events.emit("key-value", record_id, value, account=self.account)


def _daemon_keys(conn: sqlite3.Connection) -> dict[str, Any]:
    marks = ", ".join("?" * len(DAEMON_KEYS))
    rows = conn.execute(f"SELECT key, value FROM key_value WHERE key IN ({marks})", DAEMON_KEYS)
    return dict(rows.fetchall())


def _refuse_changed_daemon_keys(before: dict[str, Any], after: dict[str, Any]) -> None:
    changed = sorted(key for key in DAEMON_KEYS if before.get(key) != after.get(key))
    if changed:
        raise InvalidInputError(daemon_key_refusal(changed[0]))


def _reprice_everything(conn: sqlite3.Connection) -> PriceInvalidation:
    """Daily prices changed on days the daemon cannot tell: the net worth and the trades' PnL
    are stale from the start, and the trades (whose deposits are valued at the day's price)
    from the first log on."""
    first_log = conn.execute("SELECT MIN(timestamp) FROM audit_logs").fetchone()[0]
    first_days = [] if first_log is None else [day_start(int(first_log))]
    return invalidate_for_prices(conn, 0, first_days)


def _as_lists(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """The rows as lists, made on a thread; the tuples are freed there a part at a time."""
    lists = [list(row) for row in rows]
    empty_in_parts(rows)
    return lists
