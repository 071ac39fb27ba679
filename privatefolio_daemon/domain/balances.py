"""Daily balances of an account (data-model §5): refresh from the cursor, recompute, delete, read.

A run is one transaction on the writer thread: the audit logs stream in canonical order from a
cursor (no OFFSET paging), the engine (``balance_engine``) writes ``balance``/``balanceWallet`` back
and the day rows in ``executemany`` batches, and ``balancesCursor`` moves last. A cancellation
at a page boundary rolls everything back. A large pass reads the logs and runs the engine in a
worker process while the writer thread writes (``balance_worker``).
"""

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, NotRequired, TypedDict, cast

import orjson

from privatefolio_daemon.domain.balance_engine import (
    PAGE_SIZE,
    BalancePassResult,
    compute_daily_balances,
)
from privatefolio_daemon.domain.balance_worker import BalanceTask, compute_in_worker
from privatefolio_daemon.domain.day_ahead import prices_valuing
from privatefolio_daemon.domain.derived_steps import Cancel, Progress, SqlCancel
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.key_value import read_value, write_value
from privatefolio_daemon.domain.thread_progress import Report, thread_safe
from privatefolio_daemon.domain.timeutil import day_start, now_ms
from privatefolio_daemon.sources.prices.base import ChartData
from privatefolio_daemon.sources.prices.price_checks import is_price
from privatefolio_daemon.store import balances as store
from privatefolio_daemon.store.database import Database, in_transaction, wal_database_file
from privatefolio_daemon.store.seen_through import seen_through
from privatefolio_daemon.worker_processes import WorkersUnavailable

log = logging.getLogger(__name__)
CURSOR_KEY = "balancesCursor"
PASS_CACHE_KIB = 128 * 1024
WORKER_LINE = "Reading the audit logs in a worker process"


class Balance(TypedDict):
    """One asset of a day, as ``getBalancesAt`` returns it (rpc-methods §4)."""

    assetId: str
    balance: str
    balanceN: float
    id: str
    price: NotRequired[ChartData]
    value: NotRequired[float]


def stored_cursor(connection: sqlite3.Connection, key: str) -> int:
    value: Any = read_value(connection, key)
    return int(value) if isinstance(value, int | float) else 0


def run_balance_pass(
    connection: sqlite3.Connection,
    *,
    since: int | None,
    until: int,
    progress: Report | None = None,
    checkpoint: Callable[[], None] | None = None,
    worker_min_logs: int = 0,
    page_size: int = PAGE_SIZE,
) -> BalancePassResult:
    """One pass from the day of ``since`` in a transaction: the stored cursor when None, never
    after it (the days in between would be left out); 0 is a full run.

    ``until`` is the last day to fill forward to (0: stop at the last day with logs). A pass
    over at least ``worker_min_logs`` logs (0: none) reads them in a worker process.
    """

    def run(conn: sqlite3.Connection) -> BalancePassResult:
        cursor = stored_cursor(conn, CURSOR_KEY)
        start_day = day_start(cursor if since is None else min(since, cursor))
        start = store.load_start(conn, start_day) if start_day > 0 else None
        store.delete_balances_rows(conn, start_day)
        log_count = store.count_logs(conn, start_day)
        database = wal_database_file(conn) if 0 < worker_min_logs <= log_count else None
        result = None
        if database is not None:
            task = BalanceTask(database, start_day, start, until, log_count, page_size)
            result = _in_worker(task, store.BalanceWriter(conn), progress, checkpoint)
        if result is None:
            result = compute_daily_balances(
                store.stream_logs(conn, start_day),
                store.BalanceWriter(conn),
                log_count=log_count,
                start=start,
                until=until,
                progress=progress,
                checkpoint=checkpoint,
                page_size=page_size,
            )
        if result.cursor is not None:
            write_value(conn, CURSOR_KEY, result.cursor)
        return result

    with larger_page_cache(connection):
        return in_transaction(connection, run)


def _in_worker(
    task: BalanceTask,
    sink: store.BalanceWriter,
    progress: Report | None,
    checkpoint: Callable[[], None] | None,
) -> BalancePassResult | None:
    """The pass with its logs read in a worker process; None when no worker could start."""
    report = progress or _ignore
    try:
        report(None, WORKER_LINE)
        return compute_in_worker(task, sink, report, checkpoint)
    except WorkersUnavailable as error:
        log.warning("Computing balances in one process: %s", error)
        report(None, f"Computing balances in one process: {error}")
        return None


def _ignore(percent: float | None, message: str | None) -> None:
    pass


@contextmanager
def larger_page_cache(connection: sqlite3.Connection) -> Iterator[None]:
    """A pass reads and rewrites every log from its start: keep those pages in memory."""
    previous = connection.execute("PRAGMA cache_size").fetchone()[0]
    connection.execute(f"PRAGMA cache_size = {-PASS_CACHE_KIB}")
    try:
        yield
    finally:
        connection.execute(f"PRAGMA cache_size = {int(previous)}")


class Balances:
    def __init__(
        self, account: str, db: Database, events: EventBus, *, worker_min_logs: int = 0
    ) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._worker_min_logs = worker_min_logs

    async def refresh(
        self, progress: Progress, cancel: Cancel, *, until: int | None = None
    ) -> BalancePassResult:
        """Incremental: from ``balancesCursor`` (a full run when it is 0), filled up to today."""
        return await self._run(None, progress, cancel, until)

    async def recompute(
        self, progress: Progress, cancel: Cancel, *, until: int | None = None
    ) -> BalancePassResult:
        """A full run from the first audit log, replacing every row."""
        return await self._run(0, progress, cancel, until)

    async def compute(
        self,
        progress: Progress,
        cancel: Cancel,
        *,
        since: int | None,
        until: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> BalancePassResult:
        """From the earlier of ``since`` and ``balancesCursor`` (the cursor when None, all when
        0): the rows and log balances from there are made again, as a full run makes them."""
        return await self._run(since, progress, cancel, until, page_size)

    async def _run(
        self,
        since: int | None,
        progress: Progress,
        cancel: Cancel,
        until: int | None,
        page_size: int = PAGE_SIZE,
    ) -> BalancePassResult:
        report = thread_safe(progress)
        limit = now_ms() if until is None else until
        # Once the pass has committed, a cancel still lets its events out.
        result = await seen_through(
            self._db.bulk_write(
                lambda conn: run_balance_pass(
                    conn,
                    since=since,
                    until=limit,
                    progress=report,
                    checkpoint=cancel.checkpoint,
                    worker_min_logs=self._worker_min_logs,
                    page_size=page_size,
                )
            )
        )
        self._events.emit("audit-logs", "updated", None, None, account=self.account)
        if result.cursor is not None:
            self._events.emit("key-value", CURSOR_KEY, result.cursor, account=self.account)
        self._events.emit("balances", account=self.account)
        return result

    async def delete(self, progress: Progress, cancel: SqlCancel) -> None:
        """Delete every row and the logs' balances; the cursor stays (as in Privatefolio). All
        of it or, when the task is cancelled before the commit, nothing."""
        progress(0, "Deleting balances")

        def delete(connection: sqlite3.Connection) -> None:
            store.delete_balances(connection, 0)
            cancel.checkpoint()

        await seen_through(self._db.transaction(cancel.guard_sql(delete)))
        self._events.emit("audit-logs", "updated", None, None, account=self.account)
        self._events.emit("balances", account=self.account)
        progress(100, "Deleted balances")

    async def at(self, cursor: int = -1) -> list[Balance]:
        """The balances of one day (the cursor's day when ``cursor`` is -1), priced if possible."""
        return await self._db.read(lambda conn: balances_at(conn, cursor))


def balances_at(connection: sqlite3.Connection, cursor: int) -> list[Balance]:
    moment = stored_cursor(connection, CURSOR_KEY) if cursor == -1 else cursor
    day = day_start(moment)
    data = store.balances_row(connection, day)
    if data is None:
        return []
    prices = prices_valuing(day, partial(_prices_of_day, connection))
    result: list[Balance] = []
    for asset_id, balance in data.items():
        item = Balance(
            assetId=asset_id, balance=balance, balanceN=float(balance), id=f"{day}_{asset_id}"
        )
        price = prices.get(asset_id)
        if price is not None:
            item["price"] = price
            item["value"] = float(price["value"]) * float(balance)
        result.append(item)
    return result


def _prices_of_day(connection: sqlite3.Connection, day: int) -> dict[str, ChartData]:
    """The day's stored prices by asset, without those that are none (``{"value": null}``, which
    an older version stored for a NaN): that asset is not priced that day."""
    rows = connection.execute(
        "SELECT assetId, price FROM daily_prices WHERE timestamp = ? AND price IS NOT NULL", (day,)
    )
    prices: dict[str, ChartData] = {}
    for asset_id, text in rows:
        price = orjson.loads(text) if text else None
        if isinstance(price, dict) and is_price(price.get("value")):
            prices[asset_id] = cast(ChartData, price)
    return prices
