"""Server health metrics: CPU, memory, disk and uptime, kept for 30 days in ``server.sqlite``."""

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.store.database import Database

RETENTION_DAYS = 30
COLUMNS = (
    "id",
    "timestamp",
    "cpuUsage",
    "memoryUsed",
    "memoryTotal",
    "memoryUsage",
    "diskUsed",
    "diskTotal",
    "diskUsage",
    "processCount",
    "uptime",
)


def measure(data_dir: Path, started_monotonic: float) -> dict[str, Any]:
    """Current metrics of the machine and of this process (blocking: run it in a thread)."""
    import psutil

    memory = psutil.virtual_memory()
    disk = psutil.disk_usage(str(data_dir))
    return {
        "timestamp": now_ms(),
        "cpuUsage": round(psutil.cpu_percent(interval=0.1), 2),
        "memoryUsed": memory.total - memory.available,
        "memoryTotal": memory.total,
        "memoryUsage": round(memory.percent, 2),
        "diskUsed": disk.used,
        "diskTotal": disk.total,
        "diskUsage": round(disk.percent, 2),
        "processCount": len(psutil.pids()),
        "uptime": int(time.monotonic() - started_monotonic),
    }


class HealthMonitor:
    def __init__(self, db: Database, events: EventBus, data_dir: Path, started: float) -> None:
        self._db = db
        self._events = events
        self._data_dir = data_dir
        self._started = started

    async def current(self) -> dict[str, Any]:
        return await asyncio.to_thread(measure, self._data_dir, self._started)

    async def record(self) -> dict[str, Any]:
        """Measure, store, and drop rows older than the retention period."""
        metric = await self.current()
        names = [name for name in COLUMNS if name != "id"]

        def store(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                f"INSERT INTO health_metrics ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [metric[name] for name in names],
            )
            cutoff = now_ms() - RETENTION_DAYS * DAY_MS
            connection.execute("DELETE FROM health_metrics WHERE timestamp < ?", (cutoff,))
            return int(cursor.lastrowid or 0)

        metric["id"] = await self._db.write(store)
        self._events.emit("server-health")
        return metric

    async def stats(self, from_ms: int | None, to_ms: int | None) -> dict[str, Any]:
        row = await self._db.fetch_one(
            "SELECT AVG(cpuUsage), AVG(memoryUsage), COUNT(*), MAX(cpuUsage), MAX(memoryUsage), "
            "MIN(cpuUsage), MIN(memoryUsage) FROM health_metrics "
            "WHERE timestamp >= ? AND timestamp <= ?",
            (from_ms or 0, to_ms or now_ms()),
        )
        names = (
            "avgCpuUsage",
            "avgMemoryUsage",
            "count",
            "maxCpuUsage",
            "maxMemoryUsage",
            "minCpuUsage",
            "minMemoryUsage",
        )
        values = row or (None,) * len(names)
        return {
            name: (round(value, 2) if isinstance(value, float) else (value or 0))
            for name, value in zip(names, values, strict=True)
        }


def metric_to_wire(row: tuple[Any, ...]) -> dict[str, Any]:
    return {name: value for name, value in zip(COLUMNS, row, strict=False) if value is not None}
