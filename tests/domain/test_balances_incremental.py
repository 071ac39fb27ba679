"""Balances in the account database: an invalidation from a day recomputes from that day only,
and the result equals a full recompute (hypothesis, on random ledgers)."""

import json
import sqlite3
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.balances import run_balance_pass
from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted
from privatefolio_daemon.store.database import in_transaction
from tests.memory_account import account_db

FIRST_DAY = 1_600_000_000_000 - 1_600_000_000_000 % DAY_MS
DAYS = 20
UNTIL = FIRST_DAY + (DAYS + 3) * DAY_MS
ASSETS = ("ex.binance:BTC", "ex.binance:ETH", "chain.ethereum:0x0:ETH")
WALLETS = ("Spot", "0xabc")

Log = tuple[str, str, str, int, str]


def insert(connection: sqlite3.Connection, logs: list[Log]) -> None:
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'ex.binance', ?, ?)",
        [
            (log_id, asset, change, timestamp, wallet)
            for log_id, asset, change, timestamp, wallet in logs
        ],
    )


def state(connection: sqlite3.Connection) -> tuple[list[Any], list[Any], Any]:
    rows = connection.execute("SELECT timestamp, data FROM balances ORDER BY timestamp").fetchall()
    logs = connection.execute(
        "SELECT id, balance, balanceWallet FROM audit_logs ORDER BY id"
    ).fetchall()
    cursor = connection.execute(
        "SELECT value FROM key_value WHERE key = 'balancesCursor'"
    ).fetchone()
    return [(day, sorted(json.loads(data).items())) for day, data in rows], logs, cursor


changes = st.one_of(
    st.sampled_from(["1", "-1", "0.5", "-0.5", "2.25", "-2.25", "0", "1e-8", "100"]),
    st.decimals(min_value=-50, max_value=50, places=4, allow_nan=False).map(str),
)


@st.composite
def ledgers(draw: st.DrawFn, min_size: int = 1) -> list[Log]:
    count = draw(st.integers(min_value=min_size, max_value=40))
    logs = []
    for index in range(count):
        day = draw(st.integers(min_value=0, max_value=DAYS - 1))
        second = draw(st.integers(min_value=0, max_value=3))
        logs.append(
            (
                f"log{index:03d}",
                draw(st.sampled_from(ASSETS)),
                draw(changes),
                FIRST_DAY + day * DAY_MS + second * 1000,
                draw(st.sampled_from(WALLETS)),
            )
        )
    return logs


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledger=ledgers(),
    invalid_day=st.integers(min_value=0, max_value=DAYS + 1),
    computed_earlier=st.booleans(),
)
def test_an_invalidation_recomputes_from_its_day_and_equals_a_full_run(
    ledger: list[Log], invalid_day: int, computed_earlier: bool
) -> None:
    """``computed_earlier``: the balances were computed before wallet snapshots existed, so the
    refresh loads its start state from the audit logs."""
    with account_db() as connection:
        insert(connection, ledger)
        run_balance_pass(connection, since=0, until=UNTIL)
        full = state(connection)
        if computed_earlier:
            connection.execute("DELETE FROM wallet_balances")
        cursor = FIRST_DAY + invalid_day * DAY_MS
        in_transaction(connection, lambda conn: invalidate_from(conn, cursor))
        lines: list[Any] = []

        result = run_balance_pass(
            connection, since=None, until=UNTIL, progress=lambda p, m: lines.append([p, m])
        )

        assert state(connection) == full
        assert result.logs_processed == sum(1 for log in ledger if log[3] >= cursor)
        assert lines[0] == [0, f"Refreshing balances starting {human_date(cursor)}"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=ledgers(), added=ledgers())
def test_logs_added_in_the_middle_then_the_side_effect_invalidation_equal_a_full_run(
    ledger: list[Log], added: list[Log]
) -> None:
    new_logs = [
        (f"new{log_id}", asset, change, when, wallet)
        for log_id, asset, change, when, wallet in added
    ]
    with account_db() as connection:
        insert(connection, ledger)
        run_balance_pass(connection, since=0, until=UNTIL)
        insert(connection, new_logs)
        oldest = min(log[3] for log in new_logs)
        in_transaction(connection, lambda conn: invalidate_from(conn, day_start(oldest) - DAY_MS))

        run_balance_pass(connection, since=None, until=UNTIL)
        incremental = state(connection)
        run_balance_pass(connection, since=0, until=UNTIL)

        assert incremental == state(connection)


def test_the_pass_rolls_back_when_cancelled_at_a_page_boundary() -> None:
    ledger = [(f"l{i:04d}", ASSETS[0], "1", FIRST_DAY + i * 1000, WALLETS[0]) for i in range(2500)]
    with account_db() as connection:
        insert(connection, ledger)
        token = CancelToken()
        pages = 0

        def checkpoint() -> None:
            nonlocal pages
            pages += 1
            if pages == 3:
                token.cancel("Task aborted by user.")
            token.checkpoint()

        with pytest.raises(TaskAborted, match=r"^Task aborted by user\.$"):
            run_balance_pass(connection, since=0, until=UNTIL, checkpoint=checkpoint)

        assert state(connection) == ([], [(log[0], None, None) for log in ledger], None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=ledgers(), first=ledgers(), second=ledgers(), computed_earlier=st.booleans())
@example(  # Spot is quiet during the first refresh, which starts without snapshots
    ledger=[
        ("log000", ASSETS[0], "1", FIRST_DAY, WALLETS[0]),
        ("log001", ASSETS[1], "1", FIRST_DAY + DAY_MS, WALLETS[1]),
    ],
    first=[("log000", ASSETS[1], "1", FIRST_DAY + 3 * DAY_MS, WALLETS[1])],
    second=[("log000", ASSETS[0], "1", FIRST_DAY + 10 * DAY_MS, WALLETS[0])],
    computed_earlier=True,
)
def test_successive_refreshes_start_from_the_wallet_snapshots_and_equal_a_full_run(
    ledger: list[Log], first: list[Log], second: list[Log], computed_earlier: bool
) -> None:
    """Each refresh starts from the snapshots earlier passes wrote. ``computed_earlier``: the
    balances were computed before snapshots existed, so the first refresh reads the logs."""
    with account_db() as connection:
        insert(connection, ledger)
        run_balance_pass(connection, since=0, until=UNTIL)
        if computed_earlier:
            connection.execute("DELETE FROM wallet_balances")
        for round_number, added in enumerate((first, second)):
            new_logs = [
                (f"r{round_number}{log_id}", asset, change, when, wallet)
                for log_id, asset, change, when, wallet in added
            ]
            insert(connection, new_logs)
            day = day_start(min(log[3] for log in new_logs))
            in_transaction(connection, partial(invalidate_from, cursor=day))
            run_balance_pass(connection, since=None, until=UNTIL)
        incremental = state(connection)

        run_balance_pass(connection, since=0, until=UNTIL)

        assert incremental == state(connection)


def test_each_wallet_is_snapshotted_at_the_end_of_the_days_it_changed() -> None:
    btc, eth = ASSETS[0], ASSETS[1]
    spot, chain = WALLETS
    ledger = [
        ("a", btc, "1.5", FIRST_DAY + 1000, spot),
        ("b", eth, "2", FIRST_DAY + 2000, chain),
        ("c", btc, "-1.5", FIRST_DAY + 2 * DAY_MS, spot),
        ("d", btc, "0.25", FIRST_DAY + 5 * DAY_MS, chain),
    ]
    with account_db() as connection:
        insert(connection, ledger)
        run_balance_pass(connection, since=0, until=UNTIL)
        in_transaction(connection, lambda conn: invalidate_from(conn, FIRST_DAY + 5 * DAY_MS))
        assert snapshots(connection) == [
            (FIRST_DAY, chain, {eth: "2"}),
            (FIRST_DAY, spot, {btc: "1.5"}),
            (FIRST_DAY + 2 * DAY_MS, spot, {}),
        ]

        run_balance_pass(connection, since=None, until=UNTIL)

        assert snapshots(connection)[3:] == [
            (FIRST_DAY + 5 * DAY_MS, chain, {eth: "2", btc: "0.25"}),
            (FIRST_DAY + 5 * DAY_MS, spot, {}),
        ]


def snapshots(connection: sqlite3.Connection) -> list[tuple[int, str, dict[str, str]]]:
    rows = connection.execute("SELECT timestamp, wallet, data FROM wallet_balances ORDER BY 1, 2")
    return [(day, wallet, json.loads(data)) for day, wallet, data in rows]
