"""The ``compute*`` methods that tests call directly (rpc-methods §6.2): balances, net worth,
trades, PnL, genesis and lastTx.

Each call runs its work as a task of the account's queue, behind the derived work already
queued, and answers once the task has ended. ``progress``, a function reference, gets the
task's progress lines ``[percent, message]`` (not its "Starting task"). A failure is an error
with the task's message (-32006), an abort or cancellation -32005.

``since`` is a time in ms. Omitted or null: from the kind's stored cursor (a refresh); 0: from
the start; at or before the cursor: made again from there, as a computation from that point
makes it; after the cursor: from the cursor, so nothing is left out.
"""

from collections.abc import Callable
from typing import Literal, TypedDict

from privatefolio_daemon.api.derived_tasks import run_task
from privatefolio_daemon.domain.balance_engine import PAGE_SIZE
from privatefolio_daemon.domain.balances import Balances
from privatefolio_daemon.domain.derived_steps import Progress
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import record_time_bound
from privatefolio_daemon.domain.networth import Networth
from privatefolio_daemon.domain.timeutil import DAY_MS, client_ms, day_start, now_ms
from privatefolio_daemon.domain.trades import Trades
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through

TimeBound = Literal["genesis", "lastTx"]


class BalancesRequest(TypedDict, total=False):
    since: float | None
    until: float
    pageSize: int


class ComputeApi:
    def __init__(
        self,
        balances_of: Callable[[str], Balances],
        networth_of: Callable[[str], Networth],
        trades_of: Callable[[str], Trades],
        db_of: Callable[[str], Database],
        events: EventBus,
        relayer: Relayer,
    ) -> None:
        self._balances_of = balances_of
        self._networth_of = networth_of
        self._trades_of = trades_of
        self._db_of = db_of
        self._events = events
        self._relayer = relayer

    @rpc_method()
    async def computeBalances(
        self,
        accountName: str,
        request: BalancesRequest | None = None,
        progress: RemoteFunction | None = None,
    ) -> None:
        """Compute the daily balances and the audit logs' balances, then answer (data-model §5).

        ``request.since`` (ms): omitted or null, from ``balancesCursor``; 0, from the first log;
        at or before the cursor, made again from its day; after it, from the cursor.
        ``request.until`` (ms): the last day filled forward to (default now; 0, the last day
        with logs; never after today). ``request.pageSize``: logs per progress page (default
        1000). ``progress`` gets the task's progress lines ``[percent, message]``."""
        given: BalancesRequest = request or {}
        page_size = given.get("pageSize", PAGE_SIZE)
        if page_size < 1:
            raise InvalidInputError("Invalid params: 'request'.pageSize must be at least 1")
        balances = self._balances_of(accountName)
        until = given.get("until")
        if until is not None and client_ms(until) >= day_start(now_ms()) + DAY_MS:
            raise InvalidInputError(
                "Invalid params: 'request'.until must not be after today: the days after it "
                "have no balances yet"
            )

        async def work(report: Progress, cancel: CancelToken) -> None:
            await balances.compute(
                report,
                cancel,
                since=_since(given.get("since")),
                until=None if until is None else client_ms(until),
                page_size=page_size,
            )

        await run_task(
            self._relayer,
            accountName,
            "Compute balances",
            work,
            priority=Priority.MEDIUM,
            progress=progress,
        )

    @rpc_method()
    async def computeNetworth(
        self, accountName: str, since: float | None = None, progress: RemoteFunction | None = None
    ) -> None:
        """Compute the daily net worth from the balances and prices, then answer (data-model §6).

        ``since`` (ms): omitted or null, from ``networthCursor``; 0, every row; at or before the
        cursor, made again from there; after it, from the cursor. ``progress`` gets the task's
        progress lines ``[percent, message]``."""
        networth = self._networth_of(accountName)

        async def work(report: Progress, cancel: CancelToken) -> None:
            await networth.compute(report, cancel, since=_since(since))

        await run_task(
            self._relayer,
            accountName,
            "Compute networth",
            work,
            priority=Priority.LOW,
            progress=progress,
        )

    @rpc_method()
    async def computeTrades(
        self, accountName: str, since: float | None = None, progress: RemoteFunction | None = None
    ) -> None:
        """Compute the trades and their PnL as "Refresh trades" does, then answer (data-model §8).

        ``since`` (ms): omitted or null, from the trades' cursor; 0, every trade again; else the
        logs from ``since`` on are read again, invalidated as after a change of a log then (every
        trade is made again when it is at or before the last close). ``progress`` gets the
        task's progress lines ``[percent, message]``."""
        trades = self._trades_of(accountName)

        async def work(report: Progress, cancel: CancelToken) -> None:
            await trades.compute(report, cancel, since=_since(since))

        await run_task(
            self._relayer,
            accountName,
            "Compute trades",
            work,
            priority=Priority.LOW,
            progress=progress,
        )

    @rpc_method()
    async def computePnl(
        self, accountName: str, since: float | None = None, progress: RemoteFunction | None = None
    ) -> None:
        """Compute the daily PnL of the account's stored trades, then answer (data-model §8.3).

        Privatefolio's computePnl takes a list of trades; over RPC it takes none and prices the
        trades open or closed at or after ``since``, keeping the other trades' rows. ``since``
        (ms): omitted or null, ``tradePnlCursor``; 0, every trade; never after the cursor.
        ``progress`` gets the task's progress lines ``[percent, message]``."""
        trades = self._trades_of(accountName)

        async def work(report: Progress, cancel: CancelToken) -> None:
            await trades.compute_pnl(report, cancel, since=_since(since))

        await run_task(
            self._relayer,
            accountName,
            "Compute PnL",
            work,
            priority=Priority.LOW,
            progress=progress,
        )

    @rpc_method()
    async def computeGenesis(self, accountName: str) -> int:
        """The oldest transaction's timestamp (0 without any), stored as KV ``genesis``.

        Subscribers of ``key-value`` hear of it."""
        return await self._time_bound(accountName, "Compute genesis", "genesis")

    @rpc_method()
    async def computeLastTx(self, accountName: str) -> int:
        """The newest transaction's timestamp (0 without any), stored as KV ``lastTx``.

        Subscribers of ``key-value`` hear of it."""
        return await self._time_bound(accountName, "Compute last transaction", "lastTx")

    async def _time_bound(self, account: str, name: str, key: TimeBound) -> int:
        db = self._db_of(account)

        async def work(report: Progress, cancel: CancelToken) -> int:
            value = await seen_through(db.write(lambda conn: record_time_bound(conn, key)))
            self._events.emit("key-value", key, value, account=account)
            return value

        return await run_task(
            self._relayer, account, name, work, priority=Priority.HIGH, determinate=False
        )


def _since(value: float | None) -> int | None:
    return None if value is None else max(client_ms(value), 0)
