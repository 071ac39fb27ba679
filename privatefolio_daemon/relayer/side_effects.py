"""What follows a change of audit logs: invalidate derived data, then queue the refresh chain."""

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping

from privatefolio_daemon.domain.derived_steps import (
    AUTO_MERGE,
    DETECT_SPAM,
    FETCH_PRICES,
    REFETCH_ASSETS,
    REFETCH_PLATFORMS,
    REFRESH_BALANCES,
    REFRESH_NETWORTH,
    REFRESH_TRADES,
    Step,
    is_available,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import invalidate_from, transaction_time_span
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.debounce import Burst
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import write_value

log = logging.getLogger(__name__)

STEP_PRIORITIES: dict[str, Priority] = {
    DETECT_SPAM: Priority.MEDIUM,
    AUTO_MERGE: Priority.MEDIUM_HIGH,
    REFRESH_BALANCES: Priority.MEDIUM,
    FETCH_PRICES: Priority.LOW,
    REFRESH_NETWORTH: Priority.LOW,
    REFRESH_TRADES: Priority.LOW,
    REFETCH_ASSETS: Priority.HIGH,
    REFETCH_PLATFORMS: Priority.HIGH,
}

#: The refresh chain of a cron run, in the order it must run.
REFRESH_CHAIN = (REFRESH_BALANCES, FETCH_PRICES, REFRESH_NETWORTH, REFRESH_TRADES)
METADATA_CHAIN = (REFETCH_ASSETS, REFETCH_PLATFORMS)
#: What follows a change of stored prices for days already valued.
REVALUE_CHAIN = (REFRESH_NETWORTH, REFRESH_TRADES)


class StepTasks:
    """Turns step names into queued tasks for one account."""

    def __init__(self, account: str, steps: Mapping[str, Step]) -> None:
        self._account = account
        self._steps = steps

    def available(self, names: Iterable[str]) -> list[str]:
        """The steps of ``names`` that can run, in the same order."""
        return [name for name in names if is_available(self._steps[name])]

    def spec(self, name: str, trigger: Trigger, group_id: str | None = None) -> TaskSpec:
        step = self._steps[name]
        account = self._account

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await step(account, progress, cancel)

        return TaskSpec(
            name=name,
            description=f"{name} of {account}",
            priority=STEP_PRIORITIES[name],
            function=run,
            trigger=trigger,
            group_id=group_id,
        )


class SideEffects:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        queue: Callable[[], AccountTaskQueue],
        tasks: StepTasks,
    ) -> None:
        self._account = account
        self._db = db
        self._events = events
        self._queue = queue
        self._tasks = tasks

    async def run(self, burst: Burst) -> None:
        genesis, last_tx = await self._db.write(self._record_time_span)
        self._events.emit("key-value", "genesis", genesis, account=self._account)
        self._events.emit("key-value", "lastTx", last_tx, account=self._account)
        if burst.oldest_timestamp is not None:
            cursor = day_start(burst.oldest_timestamp) - DAY_MS if last_tx else 0
            oldest = burst.oldest_timestamp
            changed = await self._db.write(lambda conn: invalidate_from(conn, cursor, oldest))
            for kind in changed:
                self._events.emit(kind, "deleted", account=self._account)
        if last_tx:
            created = burst.cause == "created"
            names = [
                *((AUTO_MERGE, DETECT_SPAM) if created else ()),
                REFRESH_BALANCES,
                *((FETCH_PRICES,) if created else ()),
                REFRESH_NETWORTH,
                REFRESH_TRADES,
            ]
            specs = [
                self._tasks.spec(name, "side-effect", burst.group_id)
                for name in self._tasks.available(names)
            ]
            await self._queue().enqueue_many(specs)
        self._events.emit("metadata", account=self._account)

    @staticmethod
    def _record_time_span(connection: sqlite3.Connection) -> tuple[int, int]:
        genesis, last_tx = transaction_time_span(connection)
        write_value(connection, "genesis", genesis)
        write_value(connection, "lastTx", last_tx)
        return genesis, last_tx
