"""Derived-data benchmark: daily balances and net worth on a synthetic Binance statement.

The statement of ``scripts/bench/parse.py`` (three years, 20 coins) is imported into a fresh
account database through the streaming importer, in one transaction, as the daemon does. Then, on
the database's writer thread, the script times:

1. the full balance computation (``until`` = the last day with logs, so three years of rows);
   then the checkpoint of its pages, which the daemon runs on a thread of its own afterwards,
   and a recompute of the same logs (``enqueueRecomputeBalances`` when nothing changed);
2. an incremental refresh after appending 1,000 logs at the end and invalidating from the day
   before them, as the side-effect chain does;
3. a full net-worth pass with stand-in prices: one daily price per coin per day (3 y × 20 assets).

With the default settings, as in the daemon, a pass over 10,000 logs or more reads them in a
worker process (``balance_worker``) on a machine with two cores or more.

Usage: .venv/bin/python scripts/bench/derived.py [--rows 100000 1000000]
Targets: balances 100k <= 0.5 s, 1M <= 5 s; incremental 1k <= 0.1 s; net worth <= 0.5 s.
"""

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.domain.balances import run_balance_pass
from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.networth import run_networth_pass
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.parse_file import Batch, StreamingImport
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store.database import Database, in_transaction
from privatefolio_daemon.store.migrations import load_migrations, migrate
from privatefolio_daemon.worker_processes import balance_worker_min_logs, warm_up_in_background
from scripts.bench.machine_speed import machine_line
from scripts.bench.parse import COINS, synthetic_binance_statement

T = TypeVar("T")
APPENDED = 1_000
CHUNK = 1 << 16


def import_statement(connection: sqlite3.Connection, text: str) -> int:
    chunks = (text[start : start + CHUNK] for start in range(0, len(text), CHUNK))
    stream = StreamingImport(lambda: chunks, file_import_id="bench", context=ParserContext())

    def run(conn: sqlite3.Connection) -> int:
        count = 0
        for item in stream:
            if isinstance(item, Batch):
                ledger.insert_audit_logs(conn, item.logs)
                ledger.insert_transactions(conn, item.transactions)
                count += len(item.logs)
        return count

    return in_transaction(connection, run)


def append_logs(connection: sqlite3.Connection, count: int, prefix: str = "appended") -> int:
    """``count`` deposits and withdrawals after the last log, with ids ``<prefix>_<n>``; returns
    the oldest timestamp."""
    last = int(connection.execute("SELECT MAX(timestamp) FROM audit_logs").fetchone()[0])
    rng = random.Random(7)
    rows = [
        (
            f"{prefix}_{index}",
            f"ex.binance:{rng.choice(COINS)}",
            f"{rng.choice(('', '-'))}{rng.randint(1, 10_000) / 100}",
            index,
            "Deposit",
            "ex.binance",
            last + (index + 1) * 60_000,
            "Binance Spot",
        )
        for index in range(count)
    ]
    in_transaction(
        connection,
        lambda conn: conn.executemany(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        ),
    )
    return last + 60_000


def stand_in_prices(connection: sqlite3.Connection) -> int:
    """One price per coin per balances day, stored as the price fetch stores them."""
    days = [row[0] for row in connection.execute("SELECT timestamp FROM balances")]
    rng = random.Random(3)
    rows = []
    for coin in COINS:
        asset_id = f"ex.binance:{coin}"
        price = rng.uniform(0.1, 50_000)
        for day in days:
            price *= rng.uniform(0.95, 1.05)
            chart = f'{{"time":{day // 1000},"value":{price!r}}}'
            rows.append((f"{asset_id}_{day}", asset_id, day, chart, f"{coin}USDT", "binance"))
    in_transaction(
        connection,
        lambda conn: conn.executemany(
            "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        ),
    )
    return len(rows)


def timed(function: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


async def timed_async(function: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    started = time.perf_counter()
    result = await function()
    return time.perf_counter() - started, result


async def bench(rows: int, seed: int, directory: Path) -> Iterator[str]:
    db = Database(directory / f"bench-{rows}.sqlite")
    migrations = load_migrations(schema_dir("account"))
    await db.write(lambda conn: migrate(conn, migrations, db.path))
    text = synthetic_binance_statement(rows, seed)
    logs = await db.write(lambda conn: import_statement(conn, text))
    lines = [f"{rows:>9} rows → {logs} audit logs"]

    workers = balance_worker_min_logs(Limits())
    full_s, full = await db.bulk_write(
        lambda conn: timed(
            lambda: run_balance_pass(conn, since=0, until=0, worker_min_logs=workers)
        )
    )
    lines.append(f"  balances, full:        {full_s:6.3f} s ({full.rows_written} daily rows)")
    checkpoint_s, _ = await timed_async(db.checkpointed)
    lines.append(
        f"    then the checkpoint:  {checkpoint_s:6.3f} s (on its own thread, as in the daemon)"
    )
    again_s, _ = await db.bulk_write(
        lambda conn: timed(
            lambda: run_balance_pass(conn, since=0, until=0, worker_min_logs=workers)
        )
    )
    await db.checkpointed()
    lines.append(f"  balances, recomputed:  {again_s:6.3f} s (the same logs: no balance moved)")

    oldest = await db.write(lambda conn: append_logs(conn, APPENDED))
    cursor = day_start(oldest) - DAY_MS
    await db.transaction(lambda conn: invalidate_from(conn, cursor))
    inc_s, inc = await db.bulk_write(
        lambda conn: timed(
            lambda: run_balance_pass(conn, since=None, until=0, worker_min_logs=workers)
        )
    )
    lines.append(
        f"  balances, +{APPENDED} logs:   {inc_s:6.3f} s "
        f"({inc.logs_processed} logs from the invalidated day, {inc.rows_written} rows)"
    )

    prices = await db.write(stand_in_prices)
    net_s, net = await db.write(lambda conn: timed(lambda: run_networth_pass(conn, since=0)))
    lines.append(f"  net worth, full:       {net_s:6.3f} s ({len(net)} days, {prices} price rows)")
    await db.close()
    return iter(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    if balance_worker_min_logs(Limits()):
        warm_up_in_background()  # as the daemon does when it starts
    with tempfile.TemporaryDirectory(prefix="derived-bench-") as directory:
        for rows in args.rows:
            for line in await bench(rows, args.seed, Path(directory)):
                print(line, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
