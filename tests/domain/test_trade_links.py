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
