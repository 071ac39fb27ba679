"""Server-wide methods: information, statistics and server settings."""

import asyncio
import os
from typing import Any

from privatefolio_daemon.answer_memory import AnswerMemory
from privatefolio_daemon.config import Config
from privatefolio_daemon.domain.server_state import ServerState
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.rpc.stats import RpcStats
from privatefolio_daemon.settings import APP_NAME, HOMEPAGE


class ServerApi:
    def __init__(
        self,
        config: Config,
        state: ServerState,
        stats: RpcStats,
        answer_memory: AnswerMemory | None = None,
    ) -> None:
        self._config = config
        self._state = state
        self._stats = stats
        self._answer_memory = answer_memory or AnswerMemory(0)

    @rpc_method()
    async def getServerInfo(self) -> dict[str, Any]:
        """What this daemon is and where it keeps its data."""
        build = await asyncio.to_thread(getattr, self._config, "build")  # may run git
        return {
            "name": APP_NAME,
            "version": build.version,
            "commit": build.commit,
            "buildDate": build.date,
            "homepage": HOMEPAGE,
            "dataDir": str(self._config.data_dir),
            "host": self._config.host,
            "pid": os.getpid(),
            "startedAt": self._state.started_at_ms,
            "dev": self._config.dev,
        }

    @rpc_method()
    async def getServerStats(self) -> dict[str, Any]:
        """Open connections, live subscriptions and callbacks, uptime (s), memory (RSS bytes),
        and the large answers: the bytes they hold, how many wait their turn now and how many
        waited since the start."""
        import psutil

        answers = self._answer_memory
        return {
            "connections": self._stats.connections,
            "subscriptions": self._stats.subscriptions,
            "callbacks": self._stats.callbacks,
            "calls": self._stats.calls,
            "slowConsumersClosed": self._stats.slow_consumers_closed,
            "largeAnswerBytes": answers.held,
            "largeAnswersWaiting": answers.waiting,
            "largeAnswersWaited": answers.waits,
            "uptime": round(self._state.uptime_seconds, 3),
            "rss": psutil.Process().memory_info().rss,
        }

    @rpc_method()
    async def getServerSettings(self) -> dict[str, Any]:
        """Server settings merged over their defaults (intervals in minutes)."""
        return await self._state.settings()

    @rpc_method()
    async def updateServerSettings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Merge ``settings`` into the server settings and return the result.

        The intervals (``healthMetricsInterval``, ``systemInfoInterval``) are whole minutes from
        1 to 5256000 (ten years)."""
        return await self._state.update_settings(settings)

    @rpc_method()
    async def getSystemInfo(self) -> dict[str, Any] | None:
        """The stored system information, or null before the first refresh."""
        return await self._state.system_info()

    @rpc_method()
    async def refreshSystemInfo(self) -> dict[str, Any]:
        """Measure and store the system information."""
        return await self._state.refresh_system_info()

    @rpc_method()
    async def throwTestError(self) -> None:
        """Always fails with "This is a test error"."""
        raise RuntimeError("This is a test error")
