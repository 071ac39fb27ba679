"""Backup and restore benchmark: an account with 1,000,000 audit logs, backed up and restored.

A real daemon (temp data dir, crons off) runs in this process. The account is generated first
(one ``executemany``, not timed), then ``enqueueBackup`` is timed from the call to the returned
server file, and ``enqueueRestore`` of that same backup from the call to its ``onCompletion``.
The peak resident memory of the process is sampled every 10 ms during each.

Usage: .venv/bin/python scripts/bench/backup.py [--logs 1000000]
Targets: backup <= 10 s, restore <= 10 s; RSS increase <= 100 MB each.
"""

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.config import load_config

T = TypeVar("T")
MB = 10**6


def audit_logs(count: int) -> Iterator[tuple[Any, ...]]:
    for i in range(count):
        yield (
            f"binance_{i:09d}_{i % 7}",
            "binance:BTC" if i % 3 else "binance:ETH",
            f"{i * 0.001:.8f}",
            f"{i % 100 - 50}.12345678",
            f"import_{i // 10_000}",
            i,
            "Trade" if i % 2 else "Deposit",
            "binance",
            1_500_000_000_000 + i * 60_000,
            f"0x{i:064x}",
            "Binance Spot",
        )


def generate(connection: sqlite3.Connection, count: int) -> None:
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, balance, change, fileImportId, importIndex, "
        "operation, platformId, timestamp, txId, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        audit_logs(count),
    )
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def measured(work: Awaitable[T]) -> tuple[T, float, int]:
    """The result, the seconds it took and the peak RSS increase in bytes."""
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = await work
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
    return result, elapsed, peak[0] - baseline


async def restore(client: DaemonClient, record: dict[str, Any]) -> str | None:
    done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    await client.call("enqueueRestore", "bench", "user", record, done.set_result)
    return await done


async def run(logs: int) -> bool:
    with tempfile.TemporaryDirectory() as data_dir:
        daemon = Daemon(load_config(environ={}, data_dir=data_dir, port=0, crons=False))
        await daemon.start()
        try:
            async with await DaemonClient.connect(
                f"ws://127.0.0.1:{daemon.port}/", token=daemon.credentials.desktop_token()
            ) as client:
                await client.call("createAccount", "bench")
                started = time.perf_counter()
                await daemon.accounts.get("bench").write(lambda conn: generate(conn, logs))
                size = daemon.accounts.db_path("bench").stat().st_size
                print(
                    f"generated {logs:,} audit logs in {time.perf_counter() - started:.1f} s "
                    f"({size / MB:.0f} MB database)"
                )
                record, backup_s, backup_rss = await measured(client.call("enqueueBackup", "bench"))
                zip_mb = record["metadata"]["size"] / MB
                error, restore_s, restore_rss = await measured(restore(client, record))
                if error is not None:
                    print(f"restore failed: {error}")
                    return False
                count = await daemon.accounts.get("bench").fetch_one(
                    "SELECT COUNT(*) FROM audit_logs"
                )
                assert count == (logs,), count
        finally:
            await daemon.stop()
    print(f"backup:  {backup_s:5.2f} s  peak RSS +{backup_rss / MB:5.1f} MB  ({zip_mb:.0f} MB zip)")
    print(f"restore: {restore_s:5.2f} s  peak RSS +{restore_rss / MB:5.1f} MB")
    ok = max(backup_s, restore_s) <= 10 and max(backup_rss, restore_rss) <= 100 * MB
    print("targets (<= 10 s, <= 100 MB):", "met" if ok else "MISSED")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--logs", type=int, default=1_000_000, help="audit logs to generate")
    arguments = parser.parse_args()
    sys.exit(0 if asyncio.run(run(arguments.logs)) else 1)


if __name__ == "__main__":
    main()
