"""A full trades run is computed off the account's writer: other writes go on meanwhile, a run
that an invalidation overtook is made again on the writer, never applied stale, and applying a
run writes only the rows that changed."""

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.domain.trades import Trades, run_trades_pass
from privatefolio_daemon.domain.trades_offline import scratch_path
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.store.database import Database, in_transaction
from tests.api.derived import account_with_prices
from tests.trades_writes import TRADE_ID, record_trades_writes, trades_writes

BTC = "ex.binance:BTC"
D0 = 1614556800000  # 2021-03-01
LOG_SQL = (
    "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
    "timestamp, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, 'Spot')"
)


class PausedAtFirstCheck(CancelToken):
    """Holds the run at its first check until ``release``; ``reached`` is set when it is there."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.released = threading.Event()

    def checkpoint(self) -> None:
        if not self.reached.is_set():
            self.reached.set()
            assert self.released.wait(10), "the test never released the run"
        super().checkpoint()


@pytest.fixture
async def ledger(daemon: Daemon, client: DaemonClient) -> Database:
    db = await account_with_prices(daemon, client, [(BTC, D0, 100), (BTC, D0 + DAY_MS, 110)])
    await db.execute_many(
        LOG_SQL,
        [("l1", BTC, "2", "Deposit", D0 + 1000), ("l2", BTC, "-2", "Withdraw", D0 + DAY_MS)],
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D0)
    return db


def trades_of(daemon: Daemon) -> Trades:
    assert daemon.features is not None
    return daemon.features.trades("main")


def trades_going_off_the_writer_from(daemon: Daemon, min_logs: int) -> Trades:
    assert daemon.features is not None
    listed = daemon.features.assets("main").listed_ids
    return Trades("main", daemon.accounts.get("main"), daemon.events, listed, min_logs)


async def while_paused(
    trades: Trades,
    during: Callable[[], Any],
    *,
    refresh: bool = False,
    lines: list[Any] | None = None,
) -> tuple[Any, Any]:
    """Run a recompute (or a refresh), and ``during`` while it is held at its first check;
    ``lines`` receives its progress."""
    token = PausedAtFirstCheck()
    method = trades.refresh if refresh else trades.recompute
    seen = lines if lines is not None else []
    run = asyncio.create_task(method(lambda *line: seen.append(list(line)), token))
    await asyncio.to_thread(token.reached.wait, 10)
    try:
        outcome = await asyncio.wait_for(during(), 5)
    finally:
        token.released.set()
    result = await run
    return outcome, result


async def table(db: Database, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await db.fetch_all(sql)]


async def test_other_writes_go_on_during_a_recompute(daemon: Daemon, ledger: Database) -> None:
    trades = trades_of(daemon)

    # wait_for gives the write 5 s: on the writer, it would wait for the paused run (10 s)
    _, result = await while_paused(
        trades, lambda: ledger.execute("INSERT INTO key_value VALUES ('note', 'written')")
    )

    assert result.trades == 1
    assert await table(ledger, "SELECT id, tradeStatus, closedAt FROM trades") == [
        ("4202435512", "closed", D0 + DAY_MS)
    ]
    assert await table(ledger, "SELECT value FROM key_value WHERE key = 'note'") == [("written",)]
    assert not scratch_path(ledger.path).exists()


async def test_a_run_overtaken_by_an_invalidation_is_made_again_on_the_writer(
    daemon: Daemon, ledger: Database
) -> None:
    trades = trades_of(daemon)

    def add_log_and_invalidate(conn: Any) -> None:
        conn.execute(LOG_SQL, ("l3", BTC, "5", "Deposit", D0 + 2 * DAY_MS))
        invalidate_from(conn, D0 + DAY_MS, D0 + 2 * DAY_MS)

    lines: list[Any] = []
    await while_paused(
        trades,
        lambda: ledger.write(lambda c: in_transaction(c, add_log_and_invalidate)),
        lines=lines,
    )

    again = [None, "The ledger changed during the computation: computing again"]
    assert lines.count(again) == 1
    assert lines.index(again) > lines.index([25, "Computed 1 trades"])  # the dropped run's

    query = "SELECT id, tradeNumber, tradeStatus, amount, createdAt FROM trades ORDER BY 5"
    rows = await table(ledger, query)
    await trades.recompute(lambda *_: None, CancelToken())
    assert await table(ledger, query) == rows, rows
    assert [row[2:4] for row in rows] == [("closed", "2"), ("open", "5")]  # l3 is in


async def test_a_cancelled_recompute_leaves_the_trades_and_no_scratch_file(
    daemon: Daemon, ledger: Database
) -> None:
    trades = trades_of(daemon)
    await trades.recompute(lambda *_: None, CancelToken())
    before = await table(ledger, "SELECT * FROM trades")

    class CancelledAtFirstCheck(CancelToken):
        def checkpoint(self) -> None:
            raise RuntimeError("cancelled by the test")

    with pytest.raises(RuntimeError, match="cancelled by the test"):
        await trades.recompute(lambda *_: None, CancelledAtFirstCheck())

    assert await table(ledger, "SELECT * FROM trades") == before
    assert not scratch_path(ledger.path).exists()


async def test_a_refresh_reading_many_logs_again_also_runs_off_the_writer(
    daemon: Daemon, ledger: Database
) -> None:
    """After the last close (day 1), a log on day 3 and one on day 2: the refresh reads both."""
    trades = trades_going_off_the_writer_from(daemon, min_logs=2)
    await trades.recompute(lambda *_: None, CancelToken())
    await ledger.execute_many(
        LOG_SQL,
        [
            ("l3", BTC, "1", "Deposit", D0 + 3 * DAY_MS),
            ("l4", BTC, "4", "Deposit", D0 + 2 * DAY_MS),
        ],
    )
    await ledger.write(lambda c: in_transaction(c, lambda conn: invalidate_from(conn, D0 + DAY_MS)))

    _, result = await while_paused(
        trades,
        lambda: ledger.execute("INSERT INTO key_value VALUES ('note', 'written')"),
        refresh=True,
    )

    query = "SELECT id, tradeNumber, tradeStatus, amount, balance, createdAt FROM trades ORDER BY 6"
    refreshed = await table(ledger, query)
    assert [row[2:5] for row in refreshed] == [("closed", "2", "0"), ("open", "5", "5")]
    assert result.trades == 1  # the open one, taken up again
    await trades.recompute(lambda *_: None, CancelToken())
    assert await table(ledger, query) == refreshed


@pytest.fixture
async def three_trades(daemon: Daemon, client: DaemonClient) -> Database:
    """Two BTC trades closed, and one open from day 4; a price every day to day 6."""
    days = [D0 + day * DAY_MS for day in range(7)]
    prices = [(BTC, day, 100.0 + n) for n, day in enumerate(days)]
    db = await account_with_prices(daemon, client, prices)
    await db.execute_many(
        LOG_SQL,
        [
            ("l1", BTC, "2", "Deposit", D0 + 1000),
            ("l2", BTC, "-2", "Withdraw", days[1]),
            ("l3", BTC, "1", "Deposit", days[2]),
            ("l4", BTC, "-1", "Withdraw", days[3]),
            ("l5", BTC, "5", "Deposit", days[4]),
        ],
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D0)
    return db


async def every_trades_row(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(await table(db, f"SELECT * FROM {name}"), key=repr) for name in TRADE_ID}


async def recomputed_on_the_writer(daemon: Daemon, db: Database) -> dict[str, list[Any]]:
    assert daemon.features is not None
    listed = await daemon.features.assets("main").listed_ids()
    await db.write(lambda conn: run_trades_pass(conn, listed, full=True, progress=lambda *_: None))
    return await every_trades_row(db)


async def test_a_refresh_off_the_writer_writes_only_the_rows_it_changed(
    daemon: Daemon, three_trades: Database
) -> None:
    trades = trades_going_off_the_writer_from(daemon, min_logs=1)
    await trades.recompute(lambda *_: None, CancelToken())
    open_trade = (await table(three_trades, "SELECT id FROM trades WHERE closedAt IS NULL"))[0][0]
    await three_trades.execute(LOG_SQL, ("l6", BTC, "1", "Deposit", D0 + 5 * DAY_MS))
    await three_trades.write(
        lambda c: in_transaction(
            c, lambda conn: invalidate_from(conn, D0 + 4 * DAY_MS, D0 + 5 * DAY_MS)
        )
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D0)
    await three_trades.write(record_trades_writes)

    await trades.refresh(lambda *_: None, CancelToken())

    # The open trade gains 1 BTC and the link to l6; its PnL rows from l6's day on change (a log
    # at midnight belongs to the day it starts)
    assert Counter(await three_trades.write(trades_writes)) == {
        ("trades", "DELETE", open_trade): 1,
        ("trades", "INSERT", open_trade): 1,
        ("trade_audit_logs", "INSERT", open_trade): 1,
        ("trade_pnl", "DELETE", open_trade): 2,
        ("trade_pnl", "INSERT", open_trade): 2,
    }
    refreshed = await every_trades_row(three_trades)
    assert (open_trade, "6") in [(row[0], row[3]) for row in refreshed["trades"]]  # its amount
    assert refreshed == await recomputed_on_the_writer(daemon, three_trades)


async def test_a_recompute_that_changes_nothing_writes_nothing(
    daemon: Daemon, three_trades: Database
) -> None:
    trades = trades_of(daemon)
    await trades.recompute(lambda *_: None, CancelToken())
    before = await every_trades_row(three_trades)
    await three_trades.write(record_trades_writes)

    await trades.recompute(lambda *_: None, CancelToken())

    assert await three_trades.write(trades_writes) == []
    assert [len(rows) for rows in before.values()] == [3, 5, 0, 10]
    assert await every_trades_row(three_trades) == before
    assert before == await recomputed_on_the_writer(daemon, three_trades)


async def test_a_run_overtaken_by_a_raw_sql_edit_of_the_trades_is_made_again(
    daemon: Daemon, client: DaemonClient, ledger: Database
) -> None:
    """``executeSql`` changes the trades tables without an invalidation: the run computed from
    before the edit is not applied, and the run made again overwrites the edit."""
    trades = trades_of(daemon)
    await trades.recompute(lambda *_: None, CancelToken())
    edit = "UPDATE trades SET tradeType = 'Short' RETURNING tradeType"

    lines: list[Any] = []
    edited, _ = await while_paused(
        trades, lambda: client.call("executeSql", "main", edit), lines=lines
    )

    assert edited == [["Short"]]
    assert lines.count([None, "The ledger changed during the computation: computing again"]) == 1
    assert await table(ledger, "SELECT tradeType FROM trades") == [("Long",)]


async def test_without_write_ahead_logging_a_recompute_runs_on_the_writer(
    daemon: Daemon, ledger: Database, tmp_path: Path
) -> None:
    """A long read beside the writer would block its commits: the scratch file is used with
    write-ahead logging only. (A copy of the account, switched out of it before any reader.)"""
    copy = tmp_path / "main.sqlite"

    def back_up(conn: sqlite3.Connection) -> None:
        with closing(sqlite3.connect(copy)) as target:
            conn.backup(target)

    await ledger.read(back_up)
    db = Database(copy)
    try:
        mode = await db.write(lambda c: c.execute("PRAGMA journal_mode = DELETE").fetchone()[0])
        assert daemon.features is not None
        listed = daemon.features.assets("main").listed_ids
        trades = Trades("main", db, daemon.events, listed)

        async def scratch_file_exists() -> bool:
            return scratch_path(copy).exists() or scratch_path(ledger.path).exists()

        held, result = await while_paused(trades, scratch_file_exists)
        rows = await table(db, "SELECT tradeStatus, closedAt FROM trades")
    finally:
        await db.close()

    assert (mode, held, result.trades) == ("delete", False, 1)
    assert rows == [("closed", D0 + DAY_MS)]
