"""A trades refresh after new logs that all come later goes on from the last log the previous run
went through, and ends exactly where a full computation over every log ends (hypothesis).

Held assets are the case it is for: a position opened years ago and never closed keeps the last
close far back, and a refresh from there would read nearly every log again.
"""

import sqlite3
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.domain.trades import TRADES_SCAN_CURSOR, run_trades_pass
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.key_value import read_value
from tests.memory_account import account_db

ASSETS = ("ex.binance:A", "ex.binance:B")
START = 1_700_006_400_000
Log = tuple[int, str, int]
"""(asset index, change, hours after START)"""

logs = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(["1", "2", "-1", "-2", "0.5", "-0.5"]),
              st.integers(0, 24 * 20)),
    min_size=1,
    max_size=40,
)  # fmt: skip


def insert(connection: sqlite3.Connection, rows: list[tuple[int, Log]]) -> None:
    def write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, 'Spot')",
            [
                (f"l{n}", ASSETS[asset], change, n, "Deposit" if change[0] != "-" else "Withdraw",
                 START + hours * 3_600_000)
                for n, (asset, change, hours) in rows
            ],
        )  # fmt: skip

    in_transaction(connection, write)


def trades_pass(connection: sqlite3.Connection, *, full: bool) -> None:
    run_trades_pass(connection, set(ASSETS), full=full, progress=lambda *_: None)


def state(connection: sqlite3.Connection) -> dict[str, Any]:
    """Every trade row and link. Trades that open at the same moment in different assets are
    numbered in the order their assets first appear in the logs read, which a refresh starts
    later than a full run: so numbers are compared as the set given to each moment."""
    tables = {
        table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl")
    }
    trades = tables.pop("trades")
    return tables | {
        "trades": [(row[0], *row[2:]) for row in trades],
        "numbers": sorted((row[5], row[1]) for row in trades),
        "seq": read_value(connection, "trade_seq"),
    }


def refresh_after(connection: sqlite3.Connection, rows: list[tuple[int, Log]]) -> None:
    """Add the logs, invalidate from them as the side effects do, and refresh."""
    insert(connection, rows)
    oldest = START + min(hours for _, (_, _, hours) in rows) * 3_600_000
    in_transaction(
        connection, lambda conn: invalidate_from(conn, day_start(oldest) - DAY_MS, oldest)
    )
    trades_pass(connection, full=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, logs)
def test_new_logs_after_the_last_one_continue_the_open_trades(
    earlier: list[Log], later: list[Log]
) -> None:
    last_hour = max(hours for _, _, hours in earlier)
    later = [(asset, change, last_hour + 1 + hours) for asset, change, hours in later]
    numbered = list(enumerate(earlier + later))
    with account_db() as incremental, account_db() as whole:
        insert(incremental, numbered[: len(earlier)])
        trades_pass(incremental, full=True)
        assert read_value(incremental, TRADES_SCAN_CURSOR) == START + last_hour * 3_600_000

        refresh_after(incremental, numbered[len(earlier) :])

        insert(whole, numbered)
        trades_pass(whole, full=True)
        assert state(incremental) == state(whole)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, logs)
@example(  # B is open since 5 h when A closes at 10 h; a new B log at 15 h comes before B's 20 h
    earlier=[(0, "1", 0), (0, "-1", 10), (1, "1", 5), (1, "1", 20)], later=[(1, "1", 15)]
)
@example(  # the open trade linked the 49 h logs, which now belong to a later trade
    earlier=[(0, "1", 0), (0, "1", 0), (0, "-1", 0), (0, "-1", 1), (0, "-1", 49), (0, "-0.5", 0)],
    later=[(0, "1", 48)],
)
@example(  # the open Long turned Short at 49 h: at 1 h, where it is taken up again, it is Long
    earlier=[(0, "2", 1), (0, "-1", 0), (0, "-1", 49), (0, "-1", 49)], later=[(0, "1", 48)]
)
@example(  # the position reached 1.5 at 49 h; with the 48 h log it never exceeds 0.5
    earlier=[(0, "-1", 1), (0, "-1", 49), (0, "0.5", 0)], later=[(0, "1", 48)]
)
def test_new_logs_anywhere_give_what_a_full_computation_gives(
    earlier: list[Log], later: list[Log]
) -> None:
    """Before the last close a refresh starts over; after it, the open trades are taken up again
    at the close, and one that opened after it is made again from the logs."""
    numbered = list(enumerate(earlier + later))
    with account_db() as incremental, account_db() as whole:
        insert(incremental, numbered[: len(earlier)])
        trades_pass(incremental, full=True)
        refresh_after(incremental, numbered[len(earlier) :])

        insert(whole, numbered)
        trades_pass(whole, full=True)
        assert state(incremental) == state(whole)
