"""A large balance pass on two cores: a worker process reads the logs and runs the engine while
the account's writer writes what it sends.

Reading the logs and the per-log loop are pure Python, and so is binding the write-back; on
one thread they take turns at the GIL. The worker reads from a snapshot of its own: it starts
after the writer's transaction has begun, so it sees the ledger as the pass found it (the pass
itself writes no column that it reads). What the engine hands to its sink, and its progress,
cross a pipe in the order the engine made them, so the writer's result is the in-process one.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from privatefolio_daemon.domain.balance_engine import (
    PAGE_SIZE,
    BalancePassResult,
    BalanceSink,
    BalanceStart,
    DayRow,
    LogBalance,
    Progress,
    WalletDay,
    compute_daily_balances,
)
from privatefolio_daemon.store.balances import stream_logs
from privatefolio_daemon.worker_processes import (
    PROCESSES,
    WorkersUnavailable,
    prepare_worker,
)

POLL_SECONDS = 0.2
READ_CACHE_KIB = 64 * 1024


class BalanceWorkerError(RuntimeError):
    """The worker process stopped without finishing the pass."""


@dataclass(frozen=True, slots=True)
class BalanceTask:
    database: Path
    since: int
    start: BalanceStart | None
    until: int
    log_count: int
    page_size: int = PAGE_SIZE


def run_balance_worker(task: BalanceTask, outbox: Connection) -> None:
    """The worker process's entry point: every message is ``(kind, *values)``."""
    prepare_worker()
    try:
        outbox.send(("done", _compute(task, outbox)))
    except Exception as error:
        outbox.send(("failed", _portable(error)))
    finally:
        outbox.close()


def _compute(task: BalanceTask, outbox: Connection) -> BalancePassResult:
    uri = f"{task.database.resolve().as_uri()}?mode=ro"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        connection.execute(f"PRAGMA cache_size = {-READ_CACHE_KIB}")
        connection.execute("BEGIN")  # one snapshot for the whole stream
        return compute_daily_balances(
            stream_logs(connection, task.since),
            _ForwardingSink(outbox),
            log_count=task.log_count,
            start=task.start,
            until=task.until,
            progress=lambda percent, message: outbox.send(("progress", percent, message)),
            page_size=task.page_size,
        )
    finally:
        connection.close()


def _portable(error: Exception) -> Exception:
    """The error itself when it survives pickling, else its text."""
    try:
        ForkingPickler.dumps(error)
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


class _ForwardingSink:
    def __init__(self, outbox: Connection) -> None:
        self._outbox = outbox

    def write_log_balances(self, updates: list[LogBalance]) -> None:
        self._outbox.send(("logs", updates))

    def write_day_rows(self, rows: list[DayRow]) -> None:
        self._outbox.send(("days", rows))

    def write_wallet_days(self, rows: list[WalletDay]) -> None:
        self._outbox.send(("wallets", rows))


def compute_in_worker(
    task: BalanceTask,
    sink: BalanceSink,
    progress: Progress,
    checkpoint: Callable[[], None] | None,
) -> BalancePassResult:
    """Run the pass in a worker and write its output to ``sink`` here; blocks until done.

    ``checkpoint`` (or None) runs between messages and may raise to cancel: the worker is then
    killed. Raises :class:`WorkersUnavailable` when no worker could start (nothing was written).
    """
    receiver, sender = PROCESSES.Pipe(duplex=False)
    process = PROCESSES.Process(
        target=run_balance_worker, args=(task, sender), name="balance-worker"
    )
    process.daemon = True
    try:
        try:
            process.start()
        except OSError as error:
            raise WorkersUnavailable(f"the balance worker could not start ({error})") from error
        finally:
            sender.close()
        return _pump(receiver, process, sink, progress, checkpoint)
    finally:
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            process.join()
        receiver.close()


def _pump(
    inbox: Connection,
    process: BaseProcess,
    sink: BalanceSink,
    progress: Progress,
    checkpoint: Callable[[], None] | None,
) -> BalancePassResult:
    while True:
        if checkpoint is not None:
            checkpoint()
        if not inbox.poll(POLL_SECONDS):
            continue
        try:
            message = inbox.recv()
        except EOFError:
            process.join()
            raise BalanceWorkerError(
                f"The balance worker stopped unexpectedly (exit code {process.exitcode})"
            ) from None
        kind = message[0]
        if kind == "logs":
            sink.write_log_balances(message[1])
        elif kind == "days":
            sink.write_day_rows(message[1])
        elif kind == "wallets":
            sink.write_wallet_days(message[1])
        elif kind == "progress":
            progress(message[1], message[2])
        elif kind == "done":
            result: BalancePassResult = message[1]
            return result
        else:
            raise message[1]
