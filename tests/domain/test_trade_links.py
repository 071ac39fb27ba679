"""A trade's links to its logs and transactions are written many to a statement: a trade that
holds more than one statement carries keeps every link, once, across a refresh too."""

import sqlite3

import orjson

from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.domain.trades import run_trades_pass
from privatefolio_daemon.store.database import in_transaction
from tests.memory_account import account_db

BTC = "ex.binance:BTC"
ETH = "ex.binance:ETH"
START = 1_700_006_400_000
DEPOSITS = 2_100  # more links than one statement's 990 parameters


def deposit(connection: sqlite3.Connection, number: int) -> int:
    moment = START + number * 60_000
    connection.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet, txId) VALUES (?, ?, '1', ?, 'Deposit', 'ex.binance', ?, 'Spot', ?)",
        (f"log{number}", BTC, number, moment, f"tx{number}"),
    )
    connection.execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, importIndex, platformId, "
        "timestamp, type, wallet) VALUES (?, ?, '1', ?, 'ex.binance', ?, 'Deposit', 'Spot')",
        (f"tx{number}", BTC, number, moment),
    )
    return moment


def links(connection: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return connection.execute(f"SELECT * FROM {table} ORDER BY 2").fetchall()


def test_every_link_of_a_long_trade_is_written_once() -> None:
    with account_db() as connection:
        in_transaction(
            connection, lambda conn: [deposit(conn, number) for number in range(DEPOSITS)]
        )
        run_trades_pass(connection, {BTC}, full=True, progress=lambda *_: None)
        (trade_id, deposits) = connection.execute("SELECT id, deposits FROM trades").fetchone()
        numbers = sorted(range(DEPOSITS), key=str)
        assert links(connection, "trade_audit_logs") == [(trade_id, f"log{n}") for n in numbers]
        assert links(connection, "trade_transactions") == [(trade_id, f"tx{n}") for n in numbers]
        assert len(orjson.loads(deposits)) == DEPOSITS

        moment = in_transaction(connection, lambda conn: deposit(conn, DEPOSITS))
        in_transaction(
            connection, lambda conn: invalidate_from(conn, day_start(moment) - DAY_MS, moment)
        )
        run_trades_pass(connection, {BTC}, full=False, progress=lambda *_: None)
        numbers = sorted(range(DEPOSITS + 1), key=str)
        assert links(connection, "trade_audit_logs") == [(trade_id, f"log{n}") for n in numbers]
        assert links(connection, "trade_transactions") == [(trade_id, f"tx{n}") for n in numbers]
        amount, balance = connection.execute("SELECT amount, balance FROM trades").fetchone()
        assert (amount, balance) == (str(DEPOSITS + 1), str(DEPOSITS + 1))


def add_log(conn: sqlite3.Connection, log_id: str, asset: str, change: str, hours: int) -> None:
    """A log of transaction ``tx<log id's digits>`` (``a1`` and ``b1`` share ``tx1``)."""
    operation = "Withdraw" if change.startswith("-") else "Deposit"
    conn.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet, txId) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, 'Spot', ?)",
        (log_id, asset, change, operation, START + hours * 3_600_000, f"tx{log_id[1:]}"),
    )


def add_transaction(
    conn: sqlite3.Connection, number: int, asset: str, change: str, hours: int
) -> None:
    side = (
        ("outgoingAsset", "outgoing") if change.startswith("-") else ("incomingAsset", "incoming")
    )
    conn.execute(
        f"INSERT INTO transactions (id, {side[0]}, {side[1]}, importIndex, platformId, "
        "timestamp, type, wallet) VALUES (?, ?, ?, 0, 'ex.binance', ?, ?, 'Spot')",
        (f"tx{number}", asset, change.lstrip("-"), START + hours * 3_600_000,
         "Withdraw" if change.startswith("-") else "Deposit"),
    )  # fmt: skip


def write_ledger(conn: sqlite3.Connection, *, with_middle_log: bool) -> None:
    """ETH closes on day 1 (the last close); BTC, open since day 0, has a transaction whose logs
    lie on both sides of that close (the transaction has the time of the first), and a log on
    day 6; the middle log comes on day 4."""
    for number, asset, change, hours in ((7, ETH, "1", 0), (8, ETH, "-1", 24), (1, BTC, "2", 1),
                                         (3, BTC, "1", 144), (2, BTC, "1", 96)):  # fmt: skip
        add_transaction(conn, number, asset, change, hours)
    logs = [("e7", ETH, "1", 0), ("e8", ETH, "-1", 24), ("a1", BTC, "1", 1), ("b1", BTC, "1", 48),
            ("c3", BTC, "1", 144)]  # fmt: skip
    for log in logs + ([("d2", BTC, "1", 96)] if with_middle_log else []):
        add_log(conn, *log)


def test_a_transaction_linked_before_the_refresh_point_is_not_counted_again() -> None:
    """A refresh from the last close takes BTC's trade up there and goes through ``b1``, whose
    transaction the trade linked at ``a1`` already: its deposit stays counted once."""
    with account_db() as refreshed, account_db() as whole:
        in_transaction(refreshed, lambda conn: write_ledger(conn, with_middle_log=False))
        run_trades_pass(refreshed, {BTC, ETH}, full=True, progress=lambda *_: None)
        middle = START + 96 * 3_600_000
        in_transaction(refreshed, lambda conn: add_log(conn, "d2", BTC, "1", 96))
        in_transaction(
            refreshed, lambda conn: invalidate_from(conn, day_start(middle) - DAY_MS, middle)
        )
        run_trades_pass(refreshed, {BTC, ETH}, full=False, progress=lambda *_: None)
        in_transaction(whole, lambda conn: write_ledger(conn, with_middle_log=True))
        run_trades_pass(whole, {BTC, ETH}, full=True, progress=lambda *_: None)

        query = "SELECT deposits FROM trades WHERE assetId = ?"
        deposits = orjson.loads(refreshed.execute(query, (BTC,)).fetchone()[0])
        assert [row[3] for row in deposits] == ["tx1", "tx2", "tx3"]
        assert deposits == orjson.loads(whole.execute(query, (BTC,)).fetchone()[0])
