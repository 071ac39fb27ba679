"""Server logs and health metrics over RPC."""

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict

from privatefolio_daemon.api.client_queries import client_rows, map_rows
from privatefolio_daemon.domain.errors import InvalidInputError, shortened
from privatefolio_daemon.domain.health import HealthMonitor, metric_to_wire
from privatefolio_daemon.domain.server_state import ServerState
from privatefolio_daemon.rpc.params import Count
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.server_log import query_server_logs
from privatefolio_daemon.store.database import Database

ui_log = logging.getLogger("ui")


class LogFilters(TypedDict, total=False):
    level: str
    search: str


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _log_day(date: str | None) -> str:
    """The UTC day of a server log file, ``YYYY-MM-DD`` (today when not given)."""
    if not date:
        return datetime.now(UTC).strftime("%Y-%m-%d")
    try:
        if _DAY.fullmatch(date) and datetime.strptime(date, "%Y-%m-%d"):
            return date
    except ValueError:
        pass
    raise InvalidInputError(f"'date' must be a day as YYYY-MM-DD, not {shortened(date)!r}")


class ObservabilityApi:
    def __init__(
        self,
        logs_dir: Path,
        health: HealthMonitor,
        server_state: ServerState,
        server_db: Database,
        budget_seconds: float,
    ) -> None:
        self._logs_dir = logs_dir
        self._health = health
        self._server_state = server_state
        self._server_db = server_db
        self._budget = budget_seconds

    @rpc_method()
    async def getServerLogs(
        self,
        filters: LogFilters | None = None,
        rowsPerPage: Count = 25,
        page: Count = 0,
        order: Literal["asc", "desc"] = "desc",
        orderBy: Literal["timestamp", "level"] = "timestamp",
        date: str | None = None,
    ) -> list[Any]:
        """``[rows, totalCount]`` of one UTC day's server log (today by default)."""
        chosen = filters or {}
        rows, total = await asyncio.to_thread(
            query_server_logs,
            self._logs_dir,
            level=chosen.get("level"),
            search=chosen.get("search"),
            rows_per_page=rowsPerPage,
            page=page,
            order=order,
            order_by=orderBy,
            date=_log_day(date),
        )
        return [rows, total]

    @rpc_method()
    async def queryServerLogs(
        self,
        filters: LogFilters | None = None,
        rowsPerPage: Count = 25,
        page: Count = 0,
        order: Literal["asc", "desc"] = "desc",
        orderBy: Literal["timestamp", "level"] = "timestamp",
        date: str | None = None,
    ) -> list[Any]:
        """The Privatefolio name of ``getServerLogs``."""
        return await self.getServerLogs(filters, rowsPerPage, page, order, orderBy, date)

    @rpc_method()
    async def logUiError(self, message: str, properties: dict[str, Any] | None = None) -> None:
        """Write an error the frontend met into the server log."""
        ui_log.error("%s", message, extra={"properties": properties or {}})

    @rpc_method()
    async def getServerHealth(
        self, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Stored health metrics, newest 100 by default (or the rows of ``query``)."""
        rows = await client_rows(
            self._server_db,
            query,
            params,
            default_sql="SELECT * FROM health_metrics ORDER BY timestamp DESC LIMIT 100",
            budget_seconds=self._budget,
        )
        return await map_rows(rows, metric_to_wire, query)

    @rpc_method()
    async def getHealthStats(
        self, fromTs: int | None = None, toTs: int | None = None
    ) -> dict[str, Any]:
        """Averages, minimums and maximums of CPU and memory use over a period."""
        return await self._health.stats(fromTs, toTs)

    @rpc_method()
    async def getCurrentSystemMetrics(self) -> dict[str, Any]:
        """Health metrics measured now, not stored."""
        return await self._health.current()

    @rpc_method()
    async def monitorServerHealth(self) -> dict[str, Any]:
        """Measure and store health metrics now, and the system information if there is none."""
        await self._server_state.ensure_system_info()
        return await self._health.record()
