"""Event-loop benchmark: ping latency while heavy work runs in the daemon.

The daemon runs a 5 s CPU-heavy task (the "Sleep" test task burning CPU in a worker thread) while
another client keeps running an aggregate query over 1M audit logs. A third client calls ``ping``
in a loop; its latency shows whether the event loop stays free.

Usage: .venv/bin/python scripts/bench/loop.py [--rows 1000000] [--seconds 5]
Target: ping p99 <= 50 ms.
"""

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bench_daemon import daemon_process, percentile

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate

HEAVY_QUERY = (
    "SELECT COUNT(*), assetId, SUM(changeN), MAX(timestamp) FROM audit_logs "
    "GROUP BY assetId ORDER BY 1 DESC"
)


def build_account(path: Path, rows: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    rng = random.Random(7)
    start = 1_600_000_000_000
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, ?, 'Buy', 'ex.binance', ?, 'Binance Spot')",
        (
            (f"log{i}", f"ex.binance:C{i % 20}", f"{rng.uniform(-1, 2):.8f}", i, start + i * 90_000)
            for i in range(rows)
        ),
    )
    connection.execute("COMMIT")
    connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        (Path(data_dir) / "databases").mkdir()
        started = time.perf_counter()
        build_account(Path(data_dir) / "databases" / "main.sqlite", options.rows)
        print(f"built {options.rows:,} audit logs in {time.perf_counter() - started:.1f} s")
        with daemon_process(data_dir) as daemon:
            await measure(daemon.url, daemon.token, options.seconds)


async def measure(url: str, token: str, seconds: float) -> None:
    pinger = await DaemonClient.connect(url, token=token)
    worker = await DaemonClient.connect(url, token=token)
    task_id = await worker.call("enqueueSleep", "main", seconds, 0.5, True)
    queries = 0
    stop = asyncio.Event()

    async def query_loop() -> None:
        nonlocal queries
        while not stop.is_set():
            await worker.call("countServerTasks", "main", HEAVY_QUERY)
            queries += 1

    querying = asyncio.create_task(query_loop())
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        await pinger.call("ping")
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(0.005)
    stop.set()
    await querying
    status = (await pinger.call("getServerTask", "main", task_id))["status"]
    await pinger.close()
    await worker.close()
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    verdict = "PASS" if p99 <= 50 else "FAIL"
    print(f"heavy work: CPU task ({status} at the end), {queries} aggregate queries over the logs")
    print(
        f"ping during heavy work: {len(latencies)} calls, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(latencies) * 1000:.2f} ms (target p99 <= 50 ms) {verdict}"
    )


if __name__ == "__main__":
    asyncio.run(main())
