"""Cash fees and dividends (decision 0023) through a refresh: after new buys, sales and dividends
anywhere, it ends exactly where a full computation ends, rows, links and PnL (hypothesis). A
dividend whose asset has no new log of its own reaches the asset's open trade too."""

import sqlite3

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.store.daily_prices import upsert_prices
from privatefolio_daemon.store.database import in_transaction
from tests.domain.test_trades_incremental import (
    ASSETS,
    PRICED_DAYS,
    START,
    add_prices,
    state,
    trades_pass,
)
from tests.memory_account import account_db

CASH = "fiat:USD"
Event = tuple[str, int, str, int]
"""(kind, asset index, quantity, hours after START)"""

events = st.lists(
    st.tuples(st.sampled_from(["buy", "sell", "dividend"]), st.integers(0, 1),
              st.sampled_from(["1", "2", "0.5"]), st.integers(0, 24 * 20)),
    min_size=1,
    max_size=30,
)  # fmt: skip


def insert(connection: sqlite3.Connection, rows: list[tuple[int, Event]]) -> None:
    """Each event as the generic CSV writes it: a buy or sale for 10 USD a unit with a fee of
    0.25 USD, or a dividend of the quantity in USD with 0.1 USD withheld."""
    logs, transactions = [], []
    for n, (kind, index, quantity, hours) in rows:
        asset, at, tx = ASSETS[index], START + hours * 3_600_000, f"t{n}"
        total = str(int(float(quantity) * 10))
        if kind == "dividend":
            moves = [(CASH, quantity, "Reward"), (CASH, "-0.1", "Fee")]
            sides = (CASH, quantity, None, None, CASH, "0.1", "Reward", {"dividendOf": asset})
        elif kind == "buy":
            moves = [(asset, quantity, "Buy"), (CASH, f"-{total}", "Sell"), (CASH, "-0.25", "Fee")]
            sides = (asset, quantity, CASH, total, CASH, "0.25", "Buy", {})
        else:
            moves = [(asset, f"-{quantity}", "Sell"), (CASH, total, "Buy"), (CASH, "-0.25", "Fee")]
            sides = (CASH, total, asset, quantity, CASH, "0.25", "Sell", {})
        logs += [
            (f"{tx}_{m}", moved, change, n, operation, at, tx)
            for m, (moved, change, operation) in enumerate(moves)
        ]
        *amounts, tx_type, metadata = sides
        transactions.append((tx, *amounts, at, tx_type, orjson.dumps(metadata).decode()))

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, txId, wallet) VALUES (?, ?, ?, ?, ?, 'app.generic', ?, ?, 'Broker')",
            logs,
        )
        conn.executemany(
            "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
            "feeAsset, fee, platformId, timestamp, type, metadata, wallet) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'app.generic', ?, ?, ?, 'Broker')",
            transactions,
        )

    in_transaction(connection, write)


def computed(connection: sqlite3.Connection, rows: list[tuple[int, Event]]) -> None:
    """Prices (USD at 1), the events and a full computation."""
    add_prices(connection)
    days = [START + index * DAY_MS for index in range(-1, PRICED_DAYS)]
    points = [{"time": day // 1000, "value": 1} for day in days]
    in_transaction(
        connection,
        lambda conn: upsert_prices(conn, CASH, "USD", "fiat", points),  # type: ignore[arg-type]
    )
    insert(connection, rows)
    trades_pass(connection, full=True)


def refresh_after(connection: sqlite3.Connection, rows: list[tuple[int, Event]]) -> None:
    insert(connection, rows)
    oldest = START + min(hours for _, (_, _, _, hours) in rows) * 3_600_000
    in_transaction(
        connection, lambda conn: invalidate_from(conn, day_start(oldest) - DAY_MS, oldest)
    )
    trades_pass(connection, full=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, events)
@example(  # A held, then only a dividend of A: its open trade is taken up for it
    earlier=[("buy", 0, "2", 0), ("buy", 1, "1", 1)], later=[("dividend", 0, "2", 30)]
)
@example(  # a dividend at the moment A is sold out belongs to the trade that held A
    earlier=[("buy", 0, "1", 0), ("sell", 0, "1", 30)], later=[("dividend", 0, "1", 30)]
)
def test_new_cash_fees_and_dividends_give_what_a_full_computation_gives(
    earlier: list[Event], later: list[Event]
) -> None:
    numbered = list(enumerate(earlier + later))
    with account_db() as incremental, account_db() as whole:
        computed(incremental, numbered[: len(earlier)])
        refresh_after(incremental, numbered[len(earlier) :])

        computed(whole, numbered)
        assert state(incremental) == state(whole)


def test_a_dividend_after_the_last_log_reaches_the_open_trade() -> None:
    """The refresh goes on from the last log; the dividend's logs are cash, not A's."""
    numbered = list(enumerate([("buy", 0, "2", 0), ("dividend", 0, "2", 30)]))
    with account_db() as incremental:
        computed(incremental, numbered[:1])
        refresh_after(incremental, numbered[1:])

        [(fees,)] = incremental.execute("SELECT fees FROM trades").fetchall()
        assert orjson.loads(fees) == [
            [CASH, "0.25", "0.25", "t0", START],
            [CASH, "0.1", "0.1", "t1", START + 30 * 3_600_000],
        ]
        links = incremental.execute("SELECT transaction_id FROM trade_transactions ORDER BY 1")
        assert links.fetchall() == [("t0",), ("t1",)]
        last = incremental.execute(
            "SELECT proceeds, fees, pnl FROM trade_pnl ORDER BY timestamp DESC LIMIT 1"
        ).fetchone()
        # 2 A at 10 + 0.5 × 44 = 32 each, cost 20, dividend 2, fees 0.35
        assert last == ("2", "-0.35", "45.65")
