"""Daily balances: the history by SQL, one day with prices, and the refresh, recompute and delete
tasks."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import client_rows, map_rows
from privatefolio_daemon.api.derived_tasks import enqueue_task
from privatefolio_daemon.domain.balances import Balance, Balances
from privatefolio_daemon.domain.derived_steps import REFRESH_BALANCES
from privatefolio_daemon.domain.timeutil import client_ms
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, Trigger
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.balances import BALANCES_DEFAULT_SQL, balance_row_to_wire
from privatefolio_daemon.store.database import Database

RECOMPUTE_BALANCES = "Recompute balances"
DELETE_BALANCES = "Delete balances"


class BalancesApi:
    def __init__(
        self,
        balances_of: Callable[[str], Balances],
        db_of: Callable[[str], Database],
        relayer: Relayer,
        budget_seconds: float,
    ) -> None:
        self._balances_of = balances_of
        self._db_of = db_of
        self._relayer = relayer
        self._budget = budget_seconds

    @rpc_method()
    async def getBalances(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Daily balance maps ``{assetId: balance, …, timestamp}``, oldest first (or a query's)."""
        rows = await client_rows(
            self._db_of(accountName),
            query,
            params,
            default_sql=BALANCES_DEFAULT_SQL,
            budget_seconds=self._budget,
        )
        return await map_rows(rows, balance_row_to_wire, query)

    @rpc_method()
    async def getBalancesAt(self, accountName: str, cursor: float = -1) -> list[Balance]:
        """The balances of the day of ``cursor`` (-1: the last computed day), with the day's price
        and value where a price exists (tomorrow's, which has none yet: today's)."""
        return await self._balances_of(accountName).at(-1 if cursor == -1 else client_ms(cursor))

    @rpc_method()
    async def enqueueRefreshBalances(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Refresh balances": compute from ``balancesCursor`` up to today."""
        balances = self._balances_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await balances.refresh(progress, cancel)

        return await enqueue_task(
            self._relayer,
            accountName,
            REFRESH_BALANCES,
            run,
            trigger,
            priority=Priority.MEDIUM,
            group_id=groupId,
        )

    @rpc_method()
    async def enqueueRecomputeBalances(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Recompute balances": every row again, from the first audit log."""
        balances = self._balances_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await balances.recompute(progress, cancel)

        return await enqueue_task(
            self._relayer, accountName, RECOMPUTE_BALANCES, run, trigger, priority=Priority.MEDIUM
        )

    @rpc_method()
    async def enqueueDeleteBalances(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Delete balances": every row, and the balances written on the audit logs."""
        balances = self._balances_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await balances.delete(progress, cancel)

        return await enqueue_task(
            self._relayer, accountName, DELETE_BALANCES, run, trigger, priority=Priority.LOW
        )
