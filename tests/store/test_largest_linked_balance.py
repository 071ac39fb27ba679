"""The largest absolute balance among a trade's linked logs, found exactly."""

import sqlite3
from collections.abc import Iterator
from decimal import Decimal

import pytest

from privatefolio_daemon.store.trades import largest_linked_balance
from tests.memory_account import account_db


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    with account_db() as connection:
        yield connection


def link(conn: sqlite3.Connection, balances: list[str | None]) -> None:
    for number, balance in enumerate(balances):
        conn.execute(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet, balance) VALUES (?, 'a', '1', 0, 'Deposit', 'p', 0, 'w', ?)",
            (f"l{number}", balance),
        )
        conn.execute("INSERT INTO trade_audit_logs VALUES ('t', ?)", (f"l{number}",))


def test_balances_that_are_one_double_are_told_apart(conn: sqlite3.Connection) -> None:
    link(conn, ["1", "-123456789012345678.5", "123456789012345678.4", "7"])

    assert largest_linked_balance(conn, "t") == Decimal("123456789012345678.5")


def test_a_log_without_a_balance_gives_none(conn: sqlite3.Connection) -> None:
    link(conn, ["1", None])

    assert largest_linked_balance(conn, "t") is None
    assert largest_linked_balance(conn, "no such trade") is None


def test_all_zero(conn: sqlite3.Connection) -> None:
    link(conn, ["0", "-0"])

    assert largest_linked_balance(conn, "t") == 0
