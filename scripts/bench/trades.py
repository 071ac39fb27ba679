"""Trades benchmark: "Recompute trades" and "Refresh trades" on the synthetic Binance statement.

The statement of ``scripts/bench/parse.py`` (three years, 20 coins, all of them listed, no prices)
is imported into a fresh account database as the derived benchmark does. Its last trade closes in
its second month and 20 positions stay open to the end, as for assets held for years. On the
database's writer thread, the script times:

1. a full computation (``enqueueRecomputeTrades``);
2. a refresh after one new log after the last one, invalidated as the side effects do (the run
   goes on from the last log the previous run went through);
3. a refresh after one new log in the middle of the history, after the last close (the run goes
   on from the last close: every later log is read again);
4. with a stand-in price for every coin on every day (after a balance pass, as the chain runs
   it), a full computation and a refresh after a new last log again: the PnL of each trade
   gets a row per priced day it is open;
5. the same full computation as the daemon runs it: from a snapshot into a scratch file off the
   writer, then swapped in, which is all the writer is held for; then a refresh after another
   log in the middle, the same way (the daemon runs refreshes that read 10,000 logs or more so);
6. then a refresh after the last day's price of one coin changed, as each fetch of today's candle
   does (no new log: the run prices again the trades open since the day before).

A refresh holds the account's writer for its whole length, so these are also the waits of any
other write that comes in meanwhile.

Usage: .venv/bin/python scripts/bench/trades.py [--rows 100000 1000000]
"""

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.domain import trades_offline
from privatefolio_daemon.domain.balances import run_balance_pass
from privatefolio_daemon.domain.invalidation import invalidate_for_prices, invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.domain.trades import run_trades_pass, trades_pass
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.sources.prices.base import ChartData
from privatefolio_daemon.store.daily_prices import upsert_prices
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.migrations import load_migrations, migrate
from scripts.bench.derived import append_logs, import_statement, stand_in_prices
from scripts.bench.machine_speed import machine_line
from scripts.bench.parse import COINS, synthetic_binance_statement

LISTED = {f"ex.binance:{coin}" for coin in COINS}


def timed_pass(connection: sqlite3.Connection, *, full: bool) -> tuple[float, int]:
    started = time.perf_counter()
    result = run_trades_pass(connection, LISTED, full=full, progress=lambda *_: None)
    return time.perf_counter() - started, result.trades


def invalidate(connection: sqlite3.Connection, oldest: int) -> None:
    connection.execute("BEGIN IMMEDIATE")
    invalidate_from(connection, day_start(oldest) - DAY_MS, oldest)
    connection.execute("COMMIT")


def add_middle_log(connection: sqlite3.Connection, log_id: str = "middle") -> int:
    """A deposit halfway between the last close and the last log; returns its time."""
    close = int(connection.execute("SELECT value FROM key_value WHERE key = 'tradesCursor'")
                .fetchone()[0])  # fmt: skip
    last = int(connection.execute("SELECT MAX(timestamp) FROM audit_logs").fetchone()[0])
    moment = (close + last) // 2
    connection.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, 'ex.binance:BTC', '1', 0, 'Deposit', "
        "'ex.binance', ?, 'Binance Spot')",
        (log_id, moment),
    )
    return moment


def timed_off_the_writer(
    connection: sqlite3.Connection, path: Path, *, full: bool
) -> tuple[float, float]:
    """(computing into the scratch file, swapping it in on the writer), in seconds."""
    scratch = trades_offline.scratch_path(path)

    def run(conn: sqlite3.Connection) -> None:
        trades_pass(conn, LISTED, full=full, progress=lambda *_: None)

    keys = ("tradesCursor", "tradesScanCursor", "trade_seq", "tradePnlCursor")
    carried = None if full else (*keys, "tradesScanPositions", "tradePnlStaleFrom")
    started = time.perf_counter()
    snapshot = trades_offline.compute_in_scratch(path, scratch, run, carried)
    computed = time.perf_counter()
    assert trades_offline.apply_if_current(connection, scratch, snapshot, keys) is not None
    swapped = time.perf_counter()
    scratch.unlink()
    return computed - started, swapped - computed


def move_last_price(connection: sqlite3.Connection) -> None:
    """BTC's price of the last day goes up 1%, written as the price fetch writes it."""
    day, price = connection.execute(
        "SELECT timestamp, json_extract(price, '$.value') FROM daily_prices "
        "WHERE assetId = 'ex.binance:BTC' ORDER BY timestamp DESC LIMIT 1"
    ).fetchone()
    point: ChartData = {"time": day // 1000, "value": price * 1.01}

    def write(conn: sqlite3.Connection) -> None:
        written = upsert_prices(conn, "ex.binance:BTC", "BTCUSDT", "binance", [point])
        invalidate_for_prices(conn, written.changed_from, written.added_days)

    in_transaction(connection, write)


def bench(rows: int, seed: int, directory: Path) -> list[str]:
    path = directory / f"trades-{rows}.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    logs = import_statement(connection, synthetic_binance_statement(rows, seed))
    lines = [f"{rows:>9} rows → {logs} audit logs"]
    full_s, trades = timed_pass(connection, full=True)
    lines.append(f"  recompute:                   {full_s:6.2f} s ({trades} trades)")
    invalidate(connection, append_logs(connection, 1))
    end_s, trades = timed_pass(connection, full=False)
    lines.append(f"  refresh, a log at the end:   {end_s:6.2f} s ({trades} trades taken up or new)")
    invalidate(connection, add_middle_log(connection))
    middle_s, trades = timed_pass(connection, full=False)
    lines.append(
        f"  refresh, a log in the middle: {middle_s:5.2f} s ({trades} trades taken up or new)"
    )
    run_balance_pass(connection, since=0, until=0)
    prices = stand_in_prices(connection)
    lines.append(f"  with {prices} daily prices (a PnL row per open trade per priced day):")
    full_s, trades = timed_pass(connection, full=True)
    lines.append(f"  recompute:                   {full_s:6.2f} s ({trades} trades)")
    invalidate(connection, append_logs(connection, 1, prefix="priced"))
    end_s, trades = timed_pass(connection, full=False)
    lines.append(f"  refresh, a log at the end:   {end_s:6.2f} s ({trades} trades taken up or new)")
    computing_s, swap_s = timed_off_the_writer(connection, path, full=True)
    lines.append(
        f"  recompute off the writer:    {computing_s:6.2f} s, then the writer held {swap_s:.2f} s"
    )
    invalidate(connection, add_middle_log(connection, "priced-middle"))
    computing_s, swap_s = timed_off_the_writer(connection, path, full=False)
    lines.append(
        f"  the same off the writer, a log in the middle: {computing_s:5.2f} s, "
        f"then the writer held {swap_s:.2f} s"
    )
    move_last_price(connection)
    moved_s, _ = timed_pass(connection, full=False)
    lines.append(f"  refresh, the last price moved: {moved_s:4.2f} s")
    connection.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="trades-bench-") as directory:
        for rows in args.rows:
            for line in bench(rows, args.seed, Path(directory)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
