"""Daily net worth of an account (data-model §6): refresh from ``networthCursor``, recompute, and
the candles of the frontend's charts. A run is one transaction on the writer thread."""

import sqlite3
from collections.abc import Callable

from privatefolio_daemon.domain.balances import stored_cursor
from privatefolio_daemon.domain.breakdown import BreakdownRow, breakdown_rows
from privatefolio_daemon.domain.candle_buckets import CandleInterval
from privatefolio_daemon.domain.day_ahead import maps_with_day_ahead, today
from privatefolio_daemon.domain.derived_steps import Cancel, Progress
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.key_value import write_value
from privatefolio_daemon.domain.networth_candles import NetworthCandle, networth_candles
from privatefolio_daemon.domain.networth_engine import BalanceRow, NetworthRow, compute_networth
from privatefolio_daemon.domain.thread_progress import Report, thread_safe
from privatefolio_daemon.domain.timeutil import human_date
from privatefolio_daemon.large_lists import empty_dict_in_parts, empty_in_parts
from privatefolio_daemon.store import networth as store
from privatefolio_daemon.store.database import Database, in_transaction
from privatefolio_daemon.store.seen_through import seen_through

CURSOR_KEY = "networthCursor"


def run_networth_pass(
    connection: sqlite3.Connection,
    *,
    since: int | None,
    progress: Report | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> list[NetworthRow]:
    """Compute and save the rows from ``since``, returned: the stored cursor when None, never
    after it (the days in between would be left out); 0 is every row."""
    report = progress or _ignore

    def run(conn: sqlite3.Connection) -> list[NetworthRow]:
        cursor = stored_cursor(conn, CURSOR_KEY)
        start = cursor if since is None else min(since, cursor)
        balance_rows = store.balance_rows_since(conn, start)
        if checkpoint is not None:
            checkpoint()
        previous = store.value_before(conn, start) if start > 0 else None
        prices = _prices_since(conn, start, balance_rows)
        rows = compute_networth(balance_rows, prices, report, previous)
        empty_in_parts(balance_rows, at_once=1)  # a day of every asset's balance at a time
        empty_dict_in_parts(prices)
        store.delete_networth(conn, start)
        if not rows:
            return rows
        if checkpoint is not None:
            checkpoint()
        report(95, f"Saving {len(rows)} records to the database")
        store.upsert_networth(conn, rows)
        cursor = rows[-1]["timestamp"]
        write_value(conn, CURSOR_KEY, cursor)
        report(99, f"Setting networth cursor to {human_date(cursor)}")
        return rows

    return in_transaction(connection, run)


def _prices_since(
    connection: sqlite3.Connection, since: int, balance_rows: list[BalanceRow]
) -> dict[int, dict[str, float]]:
    """The price values of the days from ``since`` on, and tomorrow's when the balances reach
    it."""
    current = today()
    prices = store.price_values_since(connection, min(since, current))
    last_day = balance_rows[-1][0] if balance_rows else current
    return maps_with_day_ahead(prices, last_day, current)


def _ignore(percent: float | None, message: str | None) -> None:
    pass


class Networth:
    def __init__(self, account: str, db: Database, events: EventBus) -> None:
        self.account = account
        self._db = db
        self._events = events

    async def refresh(self, progress: Progress, cancel: Cancel) -> list[NetworthRow]:
        """From ``networthCursor`` on (everything when it is 0)."""
        return await self._run(None, progress, cancel)

    async def recompute(self, progress: Progress, cancel: Cancel) -> list[NetworthRow]:
        """Delete every row, then compute from the first balances day."""
        return await self._run(0, progress, cancel)

    async def compute(
        self, progress: Progress, cancel: Cancel, *, since: int | None
    ) -> list[NetworthRow]:
        """From the earlier of ``since`` and ``networthCursor`` (the cursor when None, every row
        when 0): the rows from there are made again."""
        return await self._run(since, progress, cancel)

    async def _run(
        self, since: int | None, progress: Progress, cancel: Cancel
    ) -> list[NetworthRow]:
        report = thread_safe(progress)
        # Once the pass has committed, a cancel still lets its events out.
        rows = await seen_through(
            self._db.write(
                lambda conn: run_networth_pass(
                    conn, since=since, progress=report, checkpoint=cancel.checkpoint
                )
            )
        )
        if rows:
            cursor = rows[-1]["timestamp"]
            self._events.emit("key-value", CURSOR_KEY, cursor, account=self.account)
        self._events.emit("networth", account=self.account)
        return rows

    async def candles(self, interval: CandleInterval) -> list[NetworthCandle]:
        daily = await self._db.read(store.daily_values)
        return networth_candles(daily, interval)

    async def breakdown(self, interval: CandleInterval) -> list[BreakdownRow]:
        def read(conn: sqlite3.Connection) -> list[BreakdownRow]:
            balances = store.balance_rows_since(conn, 0)
            prices = _prices_since(conn, 0, balances)
            rows = breakdown_rows(balances, prices, interval)
            empty_in_parts(balances, at_once=1)
            empty_dict_in_parts(prices)
            return rows

        return await self._db.read(read)
