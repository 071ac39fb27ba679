"""The daemon's own scheduled jobs, beside the accounts': health metrics, system information and
the rotation of the server's logs. The two intervals are server settings, applied when they
change."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.health import HealthMonitor
from privatefolio_daemon.domain.server_state import ServerState
from privatefolio_daemon.relayer.crons import Crons
from privatefolio_daemon.server_log import remove_old_logs

LOG_ROTATION_MINUTES = 24 * 60


class ServerJobs:
    def __init__(
        self,
        crons: Crons,
        events: EventBus,
        server_state: ServerState,
        health: HealthMonitor,
        logs_dir: Path,
    ) -> None:
        self._crons = crons
        self._events = events
        self._server_state = server_state
        self._health = health
        self._logs_dir = logs_dir

    async def schedule(self) -> Callable[[], None]:
        """Schedule the jobs and follow the settings; returns what stops following them."""
        self._schedule_intervals(await self._server_state.settings())
        self._crons.every("log-rotation", LOG_ROTATION_MINUTES, self._rotate_logs)
        self._crons.once("system-info-at-start", self._refresh_system_info)
        return self._events.subscribe("server-settings", self._schedule_intervals)

    def _schedule_intervals(self, settings: dict[str, Any]) -> None:
        self._crons.every("health-metrics", settings["healthMetricsInterval"], self._record_health)
        self._crons.every("system-info", settings["systemInfoInterval"], self._refresh_system_info)

    async def _record_health(self) -> None:
        await self._server_state.ensure_system_info()
        await self._health.record()

    async def _refresh_system_info(self) -> None:
        await self._server_state.refresh_system_info()

    async def _rotate_logs(self) -> None:
        await asyncio.to_thread(remove_old_logs, self._logs_dir)
