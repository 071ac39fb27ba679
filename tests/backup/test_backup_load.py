"""Backups under load (slow tests, ~20 s together): other clients keep their latency while a
200 MB database is backed up, and the daemon's memory stays flat while backups are written and
downloaded."""

import asyncio
import statistics
import threading
import time
from pathlib import Path

import aiohttp
import psutil

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.conftest import Connect, make_config
from tests.daemon_process import running_daemon

MIB = 2**20


def add_ballast(connection: object, megabytes: int, random_share: int) -> None:
    """``megabytes`` of 8 KB blobs, one in ``random_share`` random (incompressible)."""
    import sqlite3

    assert isinstance(connection, sqlite3.Connection)
    connection.execute("CREATE TABLE ballast (b BLOB)")
    connection.execute(
        "INSERT INTO ballast (b) WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "SELECT CASE WHEN i % ? = 0 THEN randomblob(8192) ELSE zeroblob(8192) END FROM n",
        (megabytes * MIB // 8192, random_share),
    )


async def test_ping_p99_stays_under_50_ms_during_a_200_mb_backup(
    daemon: Daemon, client: DaemonClient, connect: Connect
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").write(lambda conn: add_ballast(conn, 200, 4))
    assert daemon.accounts.db_path("main").stat().st_size > 200 * MIB
    pinger = await connect()
    backup = asyncio.create_task(client.call("enqueueBackup", "main"))
    latencies = []
    while not backup.done():
        started = time.perf_counter()
        await pinger.call("ping")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    record = await backup
    assert record["status"] == "completed"
    assert len(latencies) >= 50, f"only {len(latencies)} pings: the backup was too quick"
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"\nping during a 200 MB backup: {len(latencies)} calls, p99 {p99 * 1000:.1f} ms")
    assert p99 <= 0.050


class PeakRss:
    """Samples a process's resident memory every 10 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def test_memory_stays_flat_while_a_big_backup_is_made_and_downloaded(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    setup = Daemon(make_config(data_dir))
    await setup.start()
    await setup.accounts.create("main")
    await setup.accounts.get("main").write(lambda conn: add_ballast(conn, 160, 1))
    await setup.stop()

    with running_daemon(data_dir) as (process, ready):
        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(
            f"ws://127.0.0.1:{ready['port']}/", token=token
        ) as client:
            await client.call("ping")
            with PeakRss(process.pid) as during_backup:
                record = await client.call("enqueueBackup", "main")
            size = record["metadata"]["size"]
            assert size > 150 * MIB  # random blobs do not compress
            received = 0
            async with aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {token}"}
            ) as session:
                with PeakRss(process.pid) as during_download:
                    async with session.get(
                        f"http://127.0.0.1:{ready['port']}/download",
                        params={"accountName": "main", "fileId": str(record["id"])},
                    ) as response:
                        assert response.status == 200
                        async for chunk in response.content.iter_chunked(MIB):
                            received += len(chunk)
    assert received == size
    print(
        f"\nRSS growth: backup of {size / MIB:.0f} MiB +{during_backup.growth / MIB:.1f} MiB, "
        f"download +{during_download.growth / MIB:.1f} MiB"
    )
    assert during_backup.growth < 64 * MIB
    assert during_download.growth < 16 * MIB
