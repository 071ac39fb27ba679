"""A trades refresh after new logs that all come later goes on from the last log the previous run
went through, and ends exactly where a full computation over every log ends (hypothesis).

Held assets are the case it is for: a position opened years ago and never closed keeps the last
close far back, and a refresh from there would read nearly every log again.
"""

import sqlite3
from typing import Any

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.balances import run_balance_pass
from privatefolio_daemon.domain.invalidation import invalidate_for_prices, invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.domain.trades import TRADES_SCAN_CURSOR, run_trades_pass
from privatefolio_daemon.store.daily_prices import upsert_prices
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.key_value import read_value
from tests.memory_account import account_db

ASSETS = ("ex.binance:A", "ex.binance:B")
START = 1_700_006_400_000
PRICED_DAYS = 45  # the later logs of a test reach 40 days after START
Log = tuple[int, str, int]
"""(asset index, change, hours after START)"""

logs = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(["1", "2", "-1", "-2", "0.5", "-0.5"]),
              st.integers(0, 24 * 20)),
    min_size=1,
    max_size=40,
)  # fmt: skip


def insert(connection: sqlite3.Connection, rows: list[tuple[int, Log]]) -> None:
    """Each log with its transaction, a deposit or a withdrawal, so trades value them."""

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, txId, wallet) VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
            [
                (f"l{n}", ASSETS[asset], change, n, "Deposit" if change[0] != "-" else "Withdraw",
                 START + hours * 3_600_000, f"t{n}")
                for n, (asset, change, hours) in rows
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
            "platformId, timestamp, type, wallet) "
            "VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
            [
                (f"t{n}", *_sides(ASSETS[asset], change), START + hours * 3_600_000,
                 "Deposit" if change[0] != "-" else "Withdraw")
                for n, (asset, change, hours) in rows
            ],
        )  # fmt: skip

    in_transaction(connection, write)


def _sides(asset: str, change: str) -> tuple[str | None, str | None, str | None, str | None]:
    if change[0] == "-":
        return None, None, asset, change[1:]
    return asset, change, None, None


def add_prices(connection: sqlite3.Connection, moved: dict[int, float] | None = None) -> None:
    """A price for both assets on every day the logs can reach; ``moved``: day index → factor."""
    rows = []
    for index in range(-1, PRICED_DAYS):
        day = START + index * DAY_MS
        for number, asset in enumerate(ASSETS):
            value = (10 + index * 0.5 + number * 7) * (moved or {}).get(index, 1)
            rows.append((asset, {"time": day // 1000, "value": value}))

    def write(conn: sqlite3.Connection) -> None:
        for asset in ASSETS:
            points = [point for of, point in rows if of == asset]
            written = upsert_prices(conn, asset, "X", "binance", points)  # type: ignore[arg-type]
            invalidate_for_prices(conn, written.changed_from, written.added_days)

    in_transaction(connection, write)


def trades_pass(connection: sqlite3.Connection, *, full: bool) -> None:
    """Balances first, as the side-effect chain runs them (the PnL reads them)."""
    run_balance_pass(connection, since=None, until=0)
    run_trades_pass(connection, set(ASSETS), full=full, progress=lambda *_: None)


def state(connection: sqlite3.Connection) -> dict[str, Any]:
    """Every trade row (its number too) and link."""
    tables = {
        table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl")
    }
    return tables | {"seq": read_value(connection, "trade_seq")}


def computed(
    connection: sqlite3.Connection,
    rows: list[tuple[int, Log]],
    moved: dict[int, float] | None = None,
) -> None:
    """Prices, the logs and a full computation."""
    add_prices(connection, moved)
    insert(connection, rows)
    trades_pass(connection, full=True)


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
@example(  # A and B open trades at one moment, B's log first: A is numbered first, as its first
    earlier=[(0, "1", 0), (0, "-1", 1), (1, "1", 2), (1, "-1", 3)],  # log ever comes first
    later=[(1, "1", 72), (0, "1", 72)],
)
def test_new_logs_after_the_last_one_continue_the_open_trades(
    earlier: list[Log], later: list[Log]
) -> None:
    last_hour = max(hours for _, _, hours in earlier)
    later = [(asset, change, last_hour + 1 + hours) for asset, change, hours in later]
    numbered = list(enumerate(earlier + later))
    with account_db() as incremental, account_db() as whole:
        computed(incremental, numbered[: len(earlier)])
        assert read_value(incremental, TRADES_SCAN_CURSOR) == START + last_hour * 3_600_000

        refresh_after(incremental, numbered[len(earlier) :])

        computed(whole, numbered)
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
        computed(incremental, numbered[: len(earlier)])
        refresh_after(incremental, numbered[len(earlier) :])

        computed(whole, numbered)
        assert state(incremental) == state(whole)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs, st.integers(-1, PRICED_DAYS - 1), st.floats(0.5, 2.0))
def test_a_moved_price_on_a_day_without_logs_gives_what_a_full_computation_gives(
    earlier: list[Log], moved_day: int, factor: float
) -> None:
    """Only the PnL from the day before the price is made again; the earlier rows are kept."""
    numbered = list(enumerate(earlier))
    assume(all(hours // 24 != moved_day for _, _, hours in earlier))
    with account_db() as incremental, account_db() as whole:
        computed(incremental, numbered)
        add_prices(incremental, {moved_day: factor})
        trades_pass(incremental, full=False)

        computed(whole, numbered, {moved_day: factor})
        assert state(incremental) == state(whole)


def test_an_open_trade_a_refresh_leaves_as_stored_goes_on_from_its_exact_position() -> None:
    """A refresh reads the open trades of the assets with new logs only. The others keep their
    stored rows, and their positions go on exactly (the stored balance is a JS number, 15 digits),
    so the log that later brings one back to zero closes it."""
    numbered = list(
        enumerate(
            [(0, "1.00000000000000001", 0), (1, "1", 1), (1, "1", 80),
             (0, "-1.00000000000000001", 160)]
        )
    )  # fmt: skip
    with account_db() as incremental, account_db() as whole:
        computed(incremental, numbered[:2])
        refresh_after(incremental, numbered[2:3])
        refresh_after(incremental, numbered[3:])

        computed(whole, numbered)
        assert state(incremental) == state(whole)
        assert incremental.execute(
            "SELECT tradeStatus FROM trades WHERE assetId = ?", (ASSETS[0],)
        ).fetchall() == [("closed",)]


def test_a_trade_left_as_stored_is_priced_again_from_a_moved_price() -> None:
    """A's trade has no new log, so the refresh keeps its PnL rows up to the latest; but a price
    moved on an earlier day, and its rows from that day are made again."""
    numbered = list(enumerate([(0, "1", 0), (1, "1", 1), (1, "1", 100)]))
    with account_db() as incremental, account_db() as whole:
        computed(incremental, numbered[:2])
        add_prices(incremental, {2: 1.5})
        refresh_after(incremental, numbered[2:])

        computed(whole, numbered, {2: 1.5})
        assert state(incremental) == state(whole)
