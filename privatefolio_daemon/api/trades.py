"""Trade methods: trades and their PnL, the account's PnL, and the refresh and recompute tasks."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import FrontendTable, map_rows
from privatefolio_daemon.api.derived_tasks import enqueue_task
from privatefolio_daemon.domain.derived_steps import REFRESH_TRADES
from privatefolio_daemon.domain.timeutil import client_ms
from privatefolio_daemon.domain.trade_pnl import AccountPnl
from privatefolio_daemon.domain.trades import Trades
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, Trigger
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.trade_pages import run_trades_query
from privatefolio_daemon.store.trades import (
    TRADE_PNL_DEFAULT_SQL,
    TRADES_COUNT_SQL,
    TRADES_DEFAULT_SQL,
    TRADES_FULL_SQL,
    pnl_to_wire,
    trade_to_wire,
)

RECOMPUTE_TRADES = "Recompute trades"
_TRADES = FrontendTable(TRADES_DEFAULT_SQL, TRADES_COUNT_SQL, run_trades_query)
_TRADE_PNL = FrontendTable(TRADE_PNL_DEFAULT_SQL, TRADE_PNL_DEFAULT_SQL)


class TradesApi:
    def __init__(
        self,
        trades_of: Callable[[str], Trades],
        db_of: Callable[[str], Database],
        relayer: Relayer,
        budget: float,
    ) -> None:
        self._trades_of = trades_of
        self._db_of = db_of
        self._relayer = relayer
        self._budget = budget

    @rpc_method()
    async def getTrades(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Trades, newest first (or a query's; columns 14 and 15 may list txIds, auditLogIds)."""
        rows = await _TRADES.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, trade_to_wire, query)

    @rpc_method()
    async def countTrades(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many trades (all, or a query's count)."""
        return await _TRADES.count(self._db_of(accountName), query, params, self._budget)

    @rpc_method(none_is_nothing=True)
    async def getTrade(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One trade, or null."""
        rows = await self._db_of(accountName).fetch_all("SELECT * FROM trades WHERE id = ?", (id,))
        records = await map_rows(rows, trade_to_wire, None)
        return records[0] if records else None

    @rpc_method()
    async def getTradesFullQuery(self) -> str:
        """The SQL of the trades with their linked transaction and audit-log ids."""
        return TRADES_FULL_SQL

    @rpc_method()
    async def getTradePnL(
        self,
        accountName: str,
        tradeId: str,
        query: str | None = None,
        params: list[Any] | None = None,
    ) -> list[dict[str, Any]]:
        """A trade's daily PnL rows, oldest first (or a query's)."""
        values = params if params is not None else [tradeId]
        rows = await _TRADE_PNL.rows(self._db_of(accountName), query, values, self._budget)
        return await map_rows(rows, pnl_to_wire, query)

    @rpc_method()
    async def getAccountPnL(
        self, accountName: str, start: float | None = None, end: float | None = None
    ) -> list[AccountPnl]:
        """Per PnL day, the sum over trades of each one's latest row so far."""
        first = None if start is None else client_ms(start)
        last = None if end is None else client_ms(end)
        return await self._trades_of(accountName).account_pnl(first, last)

    @rpc_method()
    async def enqueueRefreshTrades(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Refresh trades": continue from ``tradesCursor``, then PnL."""
        trades = self._trades_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await trades.refresh(progress, cancel)

        return await enqueue_task(
            self._relayer,
            accountName,
            REFRESH_TRADES,
            run,
            trigger,
            priority=Priority.LOW,
            group_id=groupId,
        )

    @rpc_method()
    async def enqueueRecomputeTrades(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Recompute trades": delete every trade, link and PnL row, compute them all."""
        trades = self._trades_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await trades.recompute(progress, cancel)

        return await enqueue_task(
            self._relayer, accountName, RECOMPUTE_TRADES, run, trigger, priority=Priority.LOW
        )
