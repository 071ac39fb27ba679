"""Import benchmark: a synthetic Binance statement imported through the daemon as a user would.

The statement (``parse.synthetic_binance_statement``: 20 coins, 3 years, fixed seed) is registered
with ``upsertServerFile``, uploaded with ``POST /upload`` and imported with ``enqueueImportFile``
on a real daemon process. Prints rows/s (the import task's own duration), the peak RSS of the
daemon alone and with its import worker processes, the ping latency of another client during
the import, and when each phase of the task began (from the task's log).

Usage: .venv/bin/python scripts/bench/import.py [--rows 100000]
Targets: 100k rows <= 1.0 s; 1M rows <= 10 s with peak RSS <= 400 MB.
"""

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import datetime

import aiohttp
import orjson
import psutil
from bench_daemon import DaemonProcess, daemon_process, percentile
from machine_speed import machine_line
from parse import synthetic_binance_statement

from privatefolio_daemon.client import DaemonClient


async def upload(daemon: DaemonProcess, client: DaemonClient, content: bytes) -> int:
    record = await client.call(
        "upsertServerFile",
        "main",
        {
            "name": "statement.csv",
            "metadata": {"lastModified": 0, "size": len(content), "type": "text/csv"},
            "status": "scheduled",
        },
    )
    form = aiohttp.FormData()
    form.add_field("accountName", "main")
    form.add_field("fileId", str(record["id"]))
    form.add_field("file", content, filename="statement.csv", content_type="text/csv")
    async with (
        aiohttp.ClientSession(headers=daemon.headers) as session,
        session.post(f"{daemon.http}/upload", data=form) as response,
    ):
        assert response.status == 200, await response.text()
    return int(record["id"])


async def run(daemon: DaemonProcess, content: bytes, rows: int) -> None:
    client = await DaemonClient.connect(daemon.url, token=daemon.token)
    pinger = await DaemonClient.connect(daemon.url, token=daemon.token)
    await client.call("createAccount", "main")
    file_id = await upload(daemon, client, content)
    process = psutil.Process(daemon.process.pid)
    baseline = process.memory_info().rss
    peak = baseline
    peak_with_workers = tree_rss(process)
    latencies: list[float] = []
    task_id = await client.call("enqueueImportFile", "main", "user", file_id)
    while True:
        task = await client.call("getServerTask", "main", task_id)
        if task["status"] not in ("queued", "running"):
            break
        peak = max(peak, process.memory_info().rss)
        peak_with_workers = max(peak_with_workers, tree_rss(process))
        started = time.perf_counter()
        await pinger.call("ping")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    log = await client.call("getServerTaskLog", "main", task_id)
    await client.close()
    await pinger.close()
    assert task["status"] == "completed", task
    seconds = task["duration"] / 1000
    print(f"rows {rows:,}: import task {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    print(
        f"daemon RSS: baseline {baseline / 2**20:.0f} MB, peak {peak / 2**20:.0f} MB; "
        f"with its worker processes: peak {peak_with_workers / 2**20:.0f} MB"
    )
    if latencies:
        print(
            f"ping during the import: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms ({len(latencies)} calls)"
        )
    target = 1.0 if rows <= 100_000 else 10.0 * rows / 1_000_000
    print_phases(log)
    verdict = "PASS" if seconds <= target and peak_with_workers <= 400 * 2**20 else "FAIL"
    print(f"target: <= {target:g} s and peak RSS <= 400 MB: {verdict}")


def tree_rss(process: psutil.Process) -> int:
    """The RSS of a process and all its descendants (the fork server and import workers)."""
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


def print_phases(log: str) -> None:
    """When each phase began, from the task log's ``<ISO time> [percent, "message"]`` lines."""
    lines = [line.split(" ", 1) for line in log.splitlines() if " [" in line]
    if not lines:
        return
    start = datetime.fromisoformat(lines[0][0].replace("Z", "+00:00"))
    seen: set[str] = set()
    for stamp, entry in lines:
        message = orjson.loads(entry)[1]
        phase = " ".join(str(message).split()[:2])
        if phase in seen or phase in ("Parsing row", "Saved"):
            continue
        seen.add(phase)
        offset = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - start
        print(f"  {offset.total_seconds():6.2f} s  {message}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    options = parser.parse_args()
    print(machine_line(), flush=True)
    content = synthetic_binance_statement(options.rows, seed=1).encode()
    with tempfile.TemporaryDirectory() as data_dir, daemon_process(data_dir) as daemon:
        await run(daemon, content, options.rows)


if __name__ == "__main__":
    asyncio.run(main())
