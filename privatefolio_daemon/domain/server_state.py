"""Server-wide state: the server key-value store, server settings and system information."""

import asyncio
import logging
import os
import platform
import sys
import time
from typing import Any

import orjson

from privatefolio_daemon.domain.coin_list import check_coin_list_url
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.intervals import check_interval, scheduled_interval
from privatefolio_daemon.settings import SERVER_SETTINGS_DEFAULTS
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value, write_value

log = logging.getLogger(__name__)

SERVER_INTERVALS = ("healthMetricsInterval", "systemInfoInterval")


class ServerState:
    def __init__(self, db: Database, events: EventBus, version: str) -> None:
        self.db = db
        self._events = events
        self._version = version
        self.started_monotonic = time.monotonic()
        self.started_at_ms = time.time_ns() // 1_000_000

    @property
    def uptime_seconds(self) -> float:
        return time.monotonic() - self.started_monotonic

    async def get_value(self, key: str, default: Any = None) -> Any:
        value = await self.db.read(lambda conn: read_value(conn, key))
        return default if value is None else value

    async def set_value(self, key: str, value: Any) -> None:
        await self.db.write(lambda conn: write_value(conn, key, value))
        self._events.emit("server-key-value", key, value)

    async def settings(self) -> dict[str, Any]:
        """The stored settings over the defaults; an interval that cannot be scheduled (an older
        version stored it, or it was edited on disk) is logged and replaced by its default."""
        parsed = _parsed(await self.get_value("settings"))
        merged = {**SERVER_SETTINGS_DEFAULTS, **parsed}
        for name in SERVER_INTERVALS:
            default = SERVER_SETTINGS_DEFAULTS[name]
            merged[name] = scheduled_interval(merged, name, default, "Server settings")
        return merged

    async def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        for name in SERVER_INTERVALS:
            if name in changes:
                check_interval(name, changes[name])
        if changes.get("coinListUrl") is not None:  # null: the default list
            check_coin_list_url(changes["coinListUrl"])
        merged = {**await self.settings(), **changes}
        await self.set_value("settings", orjson.dumps(merged).decode())
        self._events.emit("server-settings", merged)
        return merged

    async def system_info(self) -> dict[str, Any] | None:
        stored = await self.get_value("system_info")
        return orjson.loads(stored) if isinstance(stored, str) else None

    async def ensure_system_info(self) -> dict[str, Any]:
        """The stored system information, measured and stored first when there is none."""
        return await self.system_info() or await self.refresh_system_info()

    async def refresh_system_info(self) -> dict[str, Any]:
        """Measure the system information (off the event loop: the processor's name may come
        from running ``uname``) and store it."""
        info = await asyncio.to_thread(_system_info, self._version)
        await self.set_value("system_info", orjson.dumps(info).decode())
        return info


def _system_info(version: str) -> dict[str, Any]:
    import psutil

    return {
        "cpuCores": os.cpu_count() or 1,
        "cpuModel": platform.processor() or platform.machine(),
        "memory": psutil.virtual_memory().total,
        "nodeVersion": f"Python {sys.version.split()[0]}",
        "platform": sys.platform,
        "version": version,
    }


def _parsed(stored: Any) -> dict[str, Any]:
    try:
        parsed = orjson.loads(stored) if isinstance(stored, str) else {}
    except orjson.JSONDecodeError:
        log.warning("The stored server settings are not JSON; using the defaults")
        return {}
    return parsed if isinstance(parsed, dict) else {}
