"""How long queueing a task waits while an import of the same account holds its writer.

A synthetic Binance statement (``parse.synthetic_binance_statement``) is imported into a new
account of a real daemon process. As soon as the import's task reports that it saves the file
import (its one transaction has begun), ``enqueueRefreshBalances`` is called for the same account
and timed, then ``getServerTasks`` (which must list the new task) and a ``ping``. The import's
write phase is timed from the task's log: from that line to the task's end.

With ``--repeat N`` each run uses a new account; the figures are printed per run and as medians.

Then, on an account file of its own holding ``--tasks`` task rows (8,640: 90 days of the hourly
refresh chain, decision 0009), the cost of reading the task list with rows the writer has not
written yet (``store/unwritten_tasks.py``) against without: the frontend's three queries (the
dropdown's newest 100, the import wizard's group, the count), median of 200 reads each.

Usage: .venv/bin/python scripts/bench/enqueue_during_import.py [--rows 100000] [--repeat 3]
       [--tasks 8640]
"""

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench_daemon import DaemonProcess, daemon_process
from bench_upload import upload
from machine_speed import machine_line
from parse import synthetic_binance_statement

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store import server_tasks
from privatefolio_daemon.store.client_sql import run_client_query
from privatefolio_daemon.store.database import Row, connect_read_only
from privatefolio_daemon.store.migrations import load_migrations, migrate
from privatefolio_daemon.store.unwritten_tasks import reading_unwritten

#: The import's line once its transaction has begun (``domain/file_imports.py``).
SAVING = "Saving file import metadata"
QUIET_SECONDS = 3.0


@dataclass
class Run:
    idle_enqueue_seconds: float
    """``enqueueSleep`` with nothing running: the writer free."""
    enqueue_seconds: float
    listing_seconds: float
    ping_seconds: float
    write_phase_seconds: float
    """From the import's ``SAVING`` line to the task's end."""
    listed_status: str
    """The status ``getServerTasks`` gave the new task at once."""
    ended_status: str
    """The new task's status once the queue was idle again."""


async def run(daemon: DaemonProcess, content: bytes, account: str) -> Run:
    client = await DaemonClient.connect(daemon.url, token=daemon.token)
    other = await DaemonClient.connect(daemon.url, token=daemon.token)
    await client.call("createAccount", account)
    await wait_until_idle(client, account)
    started = time.perf_counter()
    await other.call("enqueueSleep", account, 0.01, 0.01)
    idle_enqueue = time.perf_counter() - started
    await wait_until_idle(client, account)
    file_id = await upload(daemon, client, account, content, "statement.csv")
    saving = asyncio.Event()
    import_id = await client.call("enqueueImportFile", account, "user", file_id)
    await client.call(
        "subscribeToServerTaskProgress",
        account,
        import_id,
        lambda line: saving.set() if SAVING in line else None,
    )
    await saving.wait()
    started = time.perf_counter()
    task_id = await other.call("enqueueRefreshBalances", account, "user")
    enqueued = time.perf_counter()
    listed = await other.call("getServerTasks", account)
    shown = time.perf_counter()
    await other.call("ping")
    pinged = time.perf_counter()
    status = next((task["status"] for task in listed if task["id"] == task_id), "missing")
    imported = await wait_for(client, account, import_id)
    assert imported["status"] == "completed", imported
    log = await client.call("getServerTaskLog", account, import_id)
    ended = await wait_for(client, account, task_id)
    await wait_until_idle(client, account)
    await client.close()
    await other.close()
    return Run(
        idle_enqueue,
        enqueued - started,
        shown - enqueued,
        pinged - shown,
        write_phase(log, imported["completedAt"]),
        status,
        ended["status"],
    )


def write_phase(log: str, completed_at: int) -> float:
    line = next(line for line in log.splitlines() if SAVING in line)
    began = datetime.fromisoformat(line[:24].replace("Z", "+00:00")).timestamp()
    return completed_at / 1000 - began


async def wait_for(client: DaemonClient, account: str, task_id: int) -> dict[str, object]:
    while True:
        task = await client.call("getServerTask", account, task_id)
        if task["status"] not in ("queued", "running"):
            return dict(task)
        await asyncio.sleep(0.05)


async def wait_until_idle(client: DaemonClient, account: str) -> None:
    """Until no task has been queued or running for ``QUIET_SECONDS`` (the refresh chain after
    a change is queued after the relayer's debounce)."""
    last_busy = time.perf_counter()
    while time.perf_counter() - last_busy < QUIET_SECONDS:
        tasks = await client.call("getServerTasks", account)
        if any(task["status"] in ("queued", "running") for task in tasks):
            last_busy = time.perf_counter()
        await asyncio.sleep(0.1)


def report(number: int, result: Run) -> None:
    print(
        f"run {number}: enqueueSleep with the writer free {result.idle_enqueue_seconds * 1000:.1f}"
        f" ms; during the import: enqueueRefreshBalances {result.enqueue_seconds * 1000:.1f} ms, "
        f"then getServerTasks {result.listing_seconds * 1000:.1f} ms "
        f"(the task {result.listed_status}), ping {result.ping_seconds * 1000:.1f} ms; "
        f"the import's write phase {result.write_phase_seconds:.2f} s; "
        f"the task ended {result.ended_status}"
    )


LISTINGS = {
    "newest 100": ("SELECT * FROM server_tasks ORDER BY id DESC LIMIT 100", ()),
    "one group": ("SELECT * FROM server_tasks WHERE groupId = ? ORDER BY id DESC", ("g-7",)),
    "count": ("SELECT COUNT(*) FROM server_tasks", ()),
}


def listing_cost(tasks: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "account.sqlite"
        writer = sqlite3.connect(path, isolation_level=None)
        migrate(writer, load_migrations(schema_dir("account")), path)
        server_tasks.insert_rows(
            writer,
            [
                server_tasks.task_row(
                    id=number, name="Refresh networth", status="completed", createdAt=number,
                    groupId=f"g-{number // 4}", trigger="cron", priority=3,
                )
                for number in range(1, tasks + 1)
            ],
        )  # fmt: skip
        unwritten = [
            server_tasks.task_row(
                id=tasks + number, name="Refresh balances", status="queued", createdAt=0,
                groupId="g-7", trigger="user", priority=5,
            )
            for number in (1, 2, 3)
        ]  # fmt: skip
        reader = connect_read_only(path)
        reader.isolation_level = None
        reader.execute("PRAGMA query_only = 1")
        for label, (sql, params) in LISTINGS.items():
            figures = [_median_ms(reader, sql, params, rows) for rows in ([], unwritten)]
            print(
                f"{tasks:,} tasks, {label}: {figures[0]:.2f} ms; with 3 rows not written yet "
                f"{figures[1]:.2f} ms"
            )
        reader.close()
        writer.close()


def _median_ms(
    connection: sqlite3.Connection, sql: str, params: tuple[object, ...], unwritten: list[Row]
) -> float:
    def read(conn: sqlite3.Connection) -> object:
        return run_client_query(conn, sql, params, 5.0)

    seconds = []
    for _ in range(200):
        started = time.perf_counter()
        reading_unwritten(unwritten, read)(connection)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=8640)
    arguments = parser.parse_args()
    print(machine_line())
    content = synthetic_binance_statement(arguments.rows).encode()
    results = []
    with (
        tempfile.TemporaryDirectory() as data_dir,
        daemon_process(data_dir, arguments.port) as daemon,
    ):
        for number in range(1, arguments.repeat + 1):
            results.append(await run(daemon, content, f"bench{number}"))
            report(number, results[-1])
    enqueue = statistics.median(result.enqueue_seconds for result in results)
    idle = statistics.median(result.idle_enqueue_seconds for result in results)
    phase = statistics.median(result.write_phase_seconds for result in results)
    print(
        f"rows {arguments.rows:,}, median of {len(results)}: enqueue waited "
        f"{enqueue * 1000:.1f} ms during a write phase of {phase:.2f} s "
        f"(with the writer free: {idle * 1000:.1f} ms)"
    )
    if arguments.tasks:
        listing_cost(arguments.tasks)


if __name__ == "__main__":
    asyncio.run(main())
