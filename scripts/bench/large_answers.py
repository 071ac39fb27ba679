"""Concurrent large answers: the daemon's peak RSS while N clients read a page of 200k rows.

An account of ``--rows`` audit logs (``loop.build_account``) is read by ``--clients`` clients at
once, each a separate WebSocket asking for ``getAuditLogs`` with ``{"limit": --page}`` (or, with
``--sql``, the same page as the frontend's own SQL). Another process pings the daemon meanwhile.
Each count of clients runs on a daemon of its own, so that what one run leaves in the heap does
not flatter the next. Reported: the daemon's peak RSS (the kernel's high-water mark, reset before
the reads), the time until every client has its answer, whether the answers are whole and alike,
and the ping's latency during the reads.

Usage: .venv/bin/python scripts/bench/large_answers.py [--rows 300000] [--page 200000]
    [--clients 1 4] [--sql] [--rounds 1] [--port 0]
"""

import argparse
import asyncio
import hashlib
import random
import sqlite3
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp
import orjson
import psutil
from bench_daemon import daemon_process, percentile
from loop import ping_latencies
from peak_memory import PeakMemory

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate

UNFINISHED_TASKS = "SELECT COUNT(*) FROM server_tasks WHERE status IN ('queued', 'running')"


def build_account(path: Path, rows: int) -> None:
    """Audit logs as an exchange import leaves them (ids, tx ids, balances): 350 bytes of JSON
    each."""
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    rng = random.Random(7)
    start = 1_600_000_000_000
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, balance, balanceWallet, change, fileImportId, "
        "importIndex, operation, platformId, timestamp, txId, wallet) "
        "VALUES (?, ?, ?, ?, ?, '1a2b3c4d', ?, 'Buy', 'ex.binance', ?, ?, 'Binance Spot')",
        (
            (
                f"1a2b3c4d_{i:08d}_{rng.getrandbits(64):016x}_{i % 3}",
                f"ex.binance:C{i % 20}",
                f"{rng.uniform(0, 1000):.8f}",
                f"{rng.uniform(0, 1000):.8f}",
                f"{rng.uniform(-1, 2):.8f}",
                i,
                start + i * 90_000,
                f"1a2b3c4d_{i // 3:08d}_{rng.getrandbits(64):016x}",
            )
            for i in range(rows)
        ),
    )
    connection.execute("COMMIT")
    connection.close()


async def settle(data_dir: Path, port: int) -> None:
    """Let a daemon run the tasks it queues for the new account (its balances), so that no
    measured daemon runs them during the reads."""
    with daemon_process(data_dir, port) as daemon:
        async with await DaemonClient.connect(daemon.url, token=daemon.token) as client:
            for _ in range(1200):
                if not await client.call("countServerTasks", "main", UNFINISHED_TASKS):
                    return
                await asyncio.sleep(0.5)
            raise RuntimeError("The daemon's tasks did not end within 10 minutes")


async def read_page(url: str, token: str, request: bytes) -> tuple[int, str]:
    """One client's answer, kept as bytes (decoding it here would slow the readers down)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, headers=headers, max_msg_size=0) as socket,
    ):
        await socket.send_bytes(request)
        message = await socket.receive()
        data = message.data if isinstance(message.data, bytes) else message.data.encode()
        return len(data), hashlib.sha256(data).hexdigest()


def read_pages(url: str, token: str, request: bytes, clients: int) -> list[tuple[int, str]]:
    async def all_of_them() -> list[tuple[int, str]]:
        return await asyncio.gather(*(read_page(url, token, request) for _ in range(clients)))

    return asyncio.run(all_of_them())


def ping_until(url: str, token: str, done: Path) -> list[float]:
    async def pings() -> list[float]:
        pinger = await DaemonClient.connect(url, token=token)
        latencies: list[float] = []
        try:
            while not done.exists():
                latencies += await ping_latencies(pinger, 0.2, pause=0.01)
        finally:
            await pinger.close()
        return latencies

    return asyncio.run(pings())


async def measure(data_dir: Path, clients: int, request: bytes, rounds: int, port: int) -> None:
    with daemon_process(data_dir, port) as daemon:
        process = psutil.Process(daemon.process.pid)
        await asyncio.sleep(1.0)
        idle = process.memory_info().rss
        peak = PeakMemory(process)
        peak.reset()
        done = data_dir / "reads-done"
        done.unlink(missing_ok=True)
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(2) as pool:
            pinging = loop.run_in_executor(pool, ping_until, daemon.url, daemon.token, done)
            await asyncio.sleep(0.5)
            started = time.perf_counter()
            answers: list[tuple[int, str]] = []
            for _ in range(rounds):
                answers += await loop.run_in_executor(
                    pool, read_pages, daemon.url, daemon.token, request, clients
                )
                peak.sample()
            seconds = time.perf_counter() - started
            done.touch()
            latencies = await pinging
        peak.sample()
    sizes = {size for size, _ in answers}
    alike = len({digest for _, digest in answers}) == 1
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(
        f"{clients} client(s) x {rounds}: peak RSS {peak.process_peak / 2**20:,.0f} MB "
        f"(idle {idle / 2**20:,.0f} MB), all answers in {seconds:.1f} s, "
        f"{len(answers)} answers of {max(sizes) / 2**20:.1f} MB, "
        f"{'all alike' if alike and len(sizes) == 1 else 'NOT ALIKE'}; "
        f"ping {len(latencies)} calls, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--page", type=int, default=200_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--sql", action="store_true", help="the page as the frontend's SQL")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="the daemon's (0: any free one)")
    options = parser.parse_args()
    query: object = {"limit": options.page}
    if options.sql:
        query = f"SELECT * FROM audit_logs ORDER BY timestamp DESC LIMIT {options.page}"
    request = orjson.dumps({"id": 1, "method": "getAuditLogs", "params": ["main", query]})
    with tempfile.TemporaryDirectory() as temporary:
        data_dir = Path(temporary)
        (data_dir / "databases").mkdir()
        build_account(data_dir / "databases" / "main.sqlite", options.rows)
        await settle(data_dir, options.port)
        print(f"{options.rows:,} audit logs; a page of {options.page:,} ({query!r:.60})")
        for clients in options.clients:
            await measure(data_dir, clients, request, options.rounds, options.port)


if __name__ == "__main__":
    asyncio.run(main())
