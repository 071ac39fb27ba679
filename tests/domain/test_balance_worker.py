"""A balance pass whose logs are read in a worker process writes exactly what a pass on the
writer's own thread writes, and a cancelled or failed one changes nothing.

Each case runs the same pass over two copies of one account database on disk: in-process
(``worker_min_logs=0``) and in a worker (``worker_min_logs=1``). The progress lines show which
path ran, so a silent fallback cannot pass for a worker run.
"""

import contextlib
import multiprocessing.process
import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psutil
import pytest

from privatefolio_daemon.domain.balance_engine import BalancePassResult
from privatefolio_daemon.domain.balance_worker import BalanceWorkerError
from privatefolio_daemon.domain.balances import WORKER_LINE, run_balance_pass
from privatefolio_daemon.domain.invalidation import invalidate_from
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.relayer.cancellation import TaskAborted
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.migrations import load_migrations, migrate
from privatefolio_daemon.worker_processes import WORKER_NICENESS
from tests.processes import forked_workers

FIRST_DAY = 1_600_000_000_000 - 1_600_000_000_000 % DAY_MS
ASSETS = ("ex.binance:BTC", "ex.binance:ETH", "ex.binance:USDT", "chain.ethereum:0x0:ETH")
WALLETS = ("Binance Spot", "Binance Funding", "0xabc")
LOGS = 12_000  # twelve pages of the engine, over about twelve hundred days

Log = tuple[str, str, str, int, str]
Lines = list[tuple[float | None, str | None]]


def random_ledger(count: int, seed: int, first_index: int = 0, day: int = FIRST_DAY) -> list[Log]:
    """Deposits and withdrawals in every asset and wallet: totals that go back to exactly zero,
    texts with trailing zeros, several logs at one time, and quiet days between busy ones."""
    rng = random.Random(seed)
    held: dict[tuple[str, str], int] = {}
    logs: list[Log] = []
    moment = day
    for index in range(first_index, first_index + count):
        if rng.random() < 0.95:
            moment += rng.choice((0, 1_000, 60_000, 3_600_000))
        else:
            moment += DAY_MS * rng.randint(1, 3)
        asset, wallet = rng.choice(ASSETS), rng.choice(WALLETS)
        cents = held.get((asset, wallet), 0)
        back_to_zero = cents and rng.random() < 0.15  # the entry leaves the day's map
        change = -cents if back_to_zero else rng.randint(-5_000, 20_000)
        held[(asset, wallet)] = cents + change
        text = f"{change / 100:.2f}"
        if rng.random() < 0.5:
            text = text.rstrip("0").rstrip(".")
        logs.append((f"log{index:06d}", asset, text, moment, wallet))
    return logs


def new_account(path: Path, logs: list[Log]) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        migrate(connection, load_migrations(schema_dir("account")), path)
        append(connection, logs)


def append(connection: sqlite3.Connection, logs: list[Log]) -> None:
    in_transaction(
        connection,
        lambda conn: conn.executemany(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'ex.binance', ?, ?)",
            logs,
        ),
    )


def everything(connection: sqlite3.Connection) -> dict[str, list[Any]]:
    """What a pass writes, as stored (the day maps as their JSON texts, keys in order)."""
    queries = {
        "logs": "SELECT rowid, id, balance, balanceWallet FROM audit_logs ORDER BY rowid",
        "days": "SELECT timestamp, data FROM balances ORDER BY timestamp",
        "wallets": "SELECT timestamp, wallet, data FROM wallet_balances ORDER BY 1, 2",
        "cursor": "SELECT value FROM key_value WHERE key = 'balancesCursor'",
    }
    return {name: connection.execute(sql).fetchall() for name, sql in queries.items()}


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection]]:
    """Two copies of one account: the first for in-process passes, the second for workers."""
    here, there = tmp_path / "here.sqlite", tmp_path / "there.sqlite"
    new_account(here, random_ledger(LOGS, seed=1))
    shutil.copy(here, there)
    with closing(open_account(here)) as first, closing(open_account(there)) as second:
        yield first, second


def open_account(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    return connection


def balance_pass(
    connection: sqlite3.Connection,
    *,
    worker: bool,
    since: int | None = 0,
    checkpoint: Callable[[], None] | None = None,
    on_progress: Callable[[], None] = lambda: None,
) -> tuple[BalancePassResult, Lines]:
    lines: Lines = []

    def progress(percent: float | None, message: str | None) -> None:
        lines.append((percent, message))
        on_progress()

    result = run_balance_pass(
        connection,
        since=since,
        until=0,
        progress=progress,
        checkpoint=checkpoint,
        worker_min_logs=1 if worker else 0,
    )
    return result, lines


def test_a_full_pass_in_a_worker_writes_what_one_in_process_writes(
    twins: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    here, there = twins
    expected, expected_lines = balance_pass(here, worker=False)
    result, lines = balance_pass(there, worker=True)

    assert lines[0] == (None, WORKER_LINE)
    assert lines[1:] == expected_lines
    assert result == expected
    assert (result.logs_processed, result.rows_written) == (LOGS, expected.rows_written)
    assert everything(there) == everything(here)
    assert len(everything(here)["days"]) > 1_000


def test_an_incremental_pass_in_a_worker_writes_what_one_in_process_writes(
    twins: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    here, there = twins
    balance_pass(here, worker=False)
    balance_pass(there, worker=False)
    last = here.execute("SELECT MAX(timestamp) FROM audit_logs").fetchone()[0]
    later = random_ledger(3_000, seed=2, first_index=LOGS, day=last)
    middle = FIRST_DAY + 200 * DAY_MS
    for connection in twins:
        append(connection, later)
        in_transaction(connection, lambda conn: invalidate_from(conn, middle))

    expected, expected_lines = balance_pass(here, worker=False, since=None)
    result, lines = balance_pass(there, worker=True, since=None)

    assert lines == [(None, WORKER_LINE), *expected_lines]
    assert result == expected
    assert 3_000 < result.logs_processed < LOGS + 3_000  # from the middle day on
    assert everything(there) == everything(here)


def test_a_cancelled_pass_in_a_worker_changes_nothing_and_leaves_no_worker(
    twins: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    _, there = twins
    before = everything(there)
    calls = 0

    def cancel_on_the_third_page() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise TaskAborted("Task aborted by user.")

    with pytest.raises(TaskAborted, match=r"^Task aborted by user\.$"):
        balance_pass(there, worker=True, checkpoint=cancel_on_the_third_page)

    assert everything(there) == before
    assert not [process for process in forked_workers() if process.is_running()]


def test_the_worker_runs_at_a_lower_priority_than_the_daemon(
    twins: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    _, there = twins
    looks: list[set[int]] = []

    def look_at_the_worker() -> None:
        with contextlib.suppress(psutil.Error):
            looks.append({process.nice() for process in forked_workers()})

    balance_pass(there, worker=True, on_progress=look_at_the_worker)

    seen = [look for look in looks if look]
    assert seen, "the worker was seen while it ran"
    assert seen[-1] == {psutil.Process().nice() + WORKER_NICENESS}


def test_a_worker_that_dies_fails_the_pass_and_changes_nothing(
    twins: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    _, there = twins
    before = everything(there)

    def kill_the_worker() -> None:
        for process in forked_workers():
            process.kill()

    with pytest.raises(
        BalanceWorkerError, match=r"^The balance worker stopped unexpectedly \(exit code -9\)$"
    ):
        balance_pass(there, worker=True, on_progress=kill_the_worker)

    assert everything(there) == before


def test_an_error_in_the_worker_is_the_error_of_a_pass_in_process(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    new_account(path, [*random_ledger(50, seed=3), ("bad", ASSETS[0], "1,5", FIRST_DAY, "0x")])
    outcomes: list[tuple[str, str]] = []
    for worker in (False, True):
        with closing(open_account(path)) as connection:
            before = everything(connection)
            with pytest.raises(Exception) as raised:
                balance_pass(connection, worker=worker)
            outcomes.append((type(raised.value).__name__, str(raised.value)))
            assert everything(connection) == before
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == (
        "InvalidAmount",
        f"The audit log of {ASSETS[0]} in 0x at 2020-09-13 00:00:00: Invalid number: '1,5'",
    )


def test_without_worker_processes_the_pass_runs_in_process(
    twins: tuple[sqlite3.Connection, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = twins
    expected, expected_lines = balance_pass(here, worker=False)

    def refused(_process: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    result, lines = balance_pass(there, worker=True)

    fallback = (
        "Computing balances in one process: the balance worker could not start "
        "([Errno 11] Resource temporarily unavailable)"
    )
    assert lines == [(None, WORKER_LINE), (None, fallback), *expected_lines]
    assert result == expected
    assert everything(there) == everything(here)
