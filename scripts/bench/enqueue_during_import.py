"""How long queueing a task waits while an import of the same account holds its writer.

A synthetic Binance statement (``parse.synthetic_binance_statement``) is imported into a new
account of a real daemon process. As soon as the import's task reports that it saves the file
import (its one transaction has begun), ``enqueueRefreshBalances`` is called for the same account
and timed, then ``getServerTasks`` (which must list the new task) and a ``ping``. The import's
write phase is timed from the task's log: from that line to the task's end.

With ``--repeat N`` each run uses a new account; the figures are printed per run and as medians.

Usage: .venv/bin/python scripts/bench/enqueue_during_import.py [--rows 100000] [--repeat 3]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime

from bench_daemon import DaemonProcess, daemon_process
from bench_upload import upload
from machine_speed import machine_line
from parse import synthetic_binance_statement

from privatefolio_daemon.client import DaemonClient

#: The import's line once its transaction has begun (``domain/file_imports.py``).
SAVING = "Saving file import metadata"
QUIET_SECONDS = 3.0


@dataclass
class Run:
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
        f"run {number}: enqueueRefreshBalances {result.enqueue_seconds * 1000:.1f} ms, "
        f"then getServerTasks {result.listing_seconds * 1000:.1f} ms "
        f"(the task {result.listed_status}), ping {result.ping_seconds * 1000:.1f} ms; "
        f"the import's write phase {result.write_phase_seconds:.2f} s; "
        f"the task ended {result.ended_status}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=0)
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
    phase = statistics.median(result.write_phase_seconds for result in results)
    print(
        f"rows {arguments.rows:,}, median of {len(results)}: enqueue waited "
        f"{enqueue * 1000:.1f} ms during a write phase of {phase:.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
