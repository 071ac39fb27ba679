"""Daily net worth: rows by SQL, candles, and the refresh/recompute tasks."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import client_rows, map_rows
from privatefolio_daemon.api.derived_tasks import enqueue_task
from privatefolio_daemon.domain.breakdown import BreakdownRow
from privatefolio_daemon.domain.candle_buckets import CandleInterval
from privatefolio_daemon.domain.derived_steps import REFRESH_NETWORTH
from privatefolio_daemon.domain.networth import Networth
from privatefolio_daemon.domain.networth_candles import NetworthCandle
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, Trigger
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.networth import NETWORTH_DEFAULT_SQL, networth_to_wire

RECOMPUTE_NETWORTH = "Recompute networth"


class NetworthApi:
    def __init__(
        self,
        networth_of: Callable[[str], Networth],
        db_of: Callable[[str], Database],
        relayer: Relayer,
        budget_seconds: float,
    ) -> None:
        self._networth_of = networth_of
        self._db_of = db_of
        self._relayer = relayer
        self._budget = budget_seconds

    @rpc_method()
    async def getNetworth(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Daily net worth ``{timestamp, time, value, change, changePercentage}`` (or a query's)."""
        rows = await client_rows(
            self._db_of(accountName),
            query,
            params,
            default_sql=NETWORTH_DEFAULT_SQL,
            budget_seconds=self._budget,
        )
        return await map_rows(rows, networth_to_wire, query)

    @rpc_method()
    async def getNetworthCandles(
        self, accountName: str, interval: CandleInterval = "1d"
    ) -> list[NetworthCandle]:
        """Open/high/low/close of the daily net worth per day, 3 days, week or month (UTC)."""
        return await self._networth_of(accountName).candles(interval)

    @rpc_method()
    async def getBreakdownChartData(
        self, accountName: str, interval: CandleInterval = "1d"
    ) -> list[BreakdownRow]:
        """Each asset's value per balance day (or per week's Monday, month's 1st, …)."""
        return await self._networth_of(accountName).breakdown(interval)

    @rpc_method()
    async def enqueueRefreshNetworth(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Refresh networth": compute from ``networthCursor`` on."""
        networth = self._networth_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await networth.refresh(progress, cancel)

        return await enqueue_task(
            self._relayer,
            accountName,
            REFRESH_NETWORTH,
            run,
            trigger,
            priority=Priority.LOW,
            group_id=groupId,
        )

    @rpc_method()
    async def enqueueRecomputeNetworth(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Recompute networth": every row again, from the first balances day."""
        networth = self._networth_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await networth.recompute(progress, cancel)

        return await enqueue_task(
            self._relayer, accountName, RECOMPUTE_NETWORTH, run, trigger, priority=Priority.LOW
        )
