"""Writing ``balance``/``balanceWallet`` back: a recompute rewrites only the logs whose balances
changed, in both forms of the UPDATE (many rows per statement, and ``executemany`` for SQLite
before 3.33)."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from privatefolio_daemon.domain.balances import run_balance_pass
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store import balances
from privatefolio_daemon.store.migrations import load_migrations, migrate

DAY = 1_600_000_000_000 - 1_600_000_000_000 % DAY_MS
LOGS = [
    ("a", "ex.binance:BTC", "1.5", DAY, "Spot"),
    ("b", "ex.binance:ETH", "10", DAY + 1_000, "Spot"),
    ("c", "ex.binance:BTC", "0.25", DAY + DAY_MS, "Margin"),
    ("d", "ex.binance:ETH", "-4", DAY + DAY_MS, "Spot"),
    ("e", "ex.binance:BTC", "-0.5", DAY + 2 * DAY_MS, "Spot"),
]


@pytest.fixture(params=[True, False], ids=["update-from-values", "executemany"])
def ledger(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sqlite3.Connection]:
    monkeypatch.setattr(balances, "_UPDATE_FROM_VALUES", request.param)
    connection = sqlite3.connect(":memory:", isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), Path("memory.sqlite"))
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'ex.binance', ?, ?)",
        LOGS,
    )
    connection.execute("CREATE TEMP TABLE rewritten (id TEXT)")
    connection.execute(
        "CREATE TEMP TRIGGER count_rewrites AFTER UPDATE OF balance, balanceWallet "
        "ON main.audit_logs BEGIN INSERT INTO rewritten VALUES (new.id); END"
    )
    yield connection
    connection.close()


def rewritten(connection: sqlite3.Connection) -> list[str]:
    ids = [row[0] for row in connection.execute("SELECT id FROM rewritten ORDER BY id")]
    connection.execute("DELETE FROM rewritten")
    return ids


def log_balances(connection: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return connection.execute(
        "SELECT id, balance, balanceWallet FROM audit_logs ORDER BY id"
    ).fetchall()


def test_the_first_pass_writes_every_log(ledger: sqlite3.Connection) -> None:
    run_balance_pass(ledger, since=0, until=0)
    assert rewritten(ledger) == ["a", "b", "c", "d", "e"]
    assert log_balances(ledger) == [
        ("a", "1.5", "1.5"),
        ("b", "10", "10"),
        ("c", "1.75", "0.25"),
        ("d", "6", "6"),
        ("e", "1.25", "1"),
    ]


def test_a_recompute_of_an_unchanged_ledger_rewrites_nothing(ledger: sqlite3.Connection) -> None:
    run_balance_pass(ledger, since=0, until=0)
    before = log_balances(ledger)
    rewritten(ledger)
    run_balance_pass(ledger, since=0, until=0)
    assert rewritten(ledger) == []
    assert log_balances(ledger) == before


def test_a_recompute_rewrites_exactly_the_logs_whose_balances_moved(
    ledger: sqlite3.Connection,
) -> None:
    run_balance_pass(ledger, since=0, until=0)
    rewritten(ledger)
    ledger.execute("UPDATE audit_logs SET change = '2' WHERE id = 'a'")
    run_balance_pass(ledger, since=0, until=0)
    # BTC moved for a, c (total) and e (total and Spot); ETH (b, d) did not.
    assert rewritten(ledger) == ["a", "c", "e"]
    assert log_balances(ledger) == [
        ("a", "2", "2"),
        ("b", "10", "10"),
        ("c", "2.25", "0.25"),
        ("d", "6", "6"),
        ("e", "1.75", "1.5"),
    ]
