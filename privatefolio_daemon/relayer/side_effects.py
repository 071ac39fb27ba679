"""What follows a change of audit logs: the refresh chain, queued once the cursors are lowered."""

import logging
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
from privatefolio_daemon.domain.invalidation import has_transactions
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.debounce import Burst
from privatefolio_daemon.relayer.invalidator import LedgerInvalidator
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_queue import (
    ABORTED_BY_USER,
    CANCELLED_BY_USER,
    AccountTaskQueue,
)
from privatefolio_daemon.relayer.task_types import (
    CompletionCallback,
    Conclusion,
    Priority,
    TaskSpec,
    Trigger,
    concluding,
)
from privatefolio_daemon.store.database import Database

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
#: What follows the choice of another price source for an asset, whose prices were deleted.
REFETCH_CHAIN = (FETCH_PRICES, REFRESH_NETWORTH, REFRESH_TRADES)
#: The refreshes that bring derived data up to its ledger (``derived_data_behind``).
DERIVED_REFRESHES = frozenset({REFRESH_BALANCES, REFRESH_NETWORTH, REFRESH_TRADES})


class StepTasks:
    """Turns step names into queued tasks for one account. ``stopped_by_user`` is called when
    the user cancels one of its ``DERIVED_REFRESHES`` (queued or running)."""

    def __init__(
        self,
        account: str,
        steps: Mapping[str, Step],
        stopped_by_user: Callable[[], None] | None = None,
    ) -> None:
        self._account = account
        self._steps = steps
        self._stopped_by_user = stopped_by_user

    def available(self, names: Iterable[str]) -> list[str]:
        """The steps of ``names`` that can run, in the same order."""
        return [name for name in names if is_available(self._steps[name])]

    def spec(self, name: str, trigger: Trigger, group_id: str | None = None) -> TaskSpec:
        step = self._steps[name]
        account = self._account

        async def run(progress: TaskProgress, cancel: CancelToken) -> Conclusion | None:
            return concluding(await step(account, progress, cancel))

        return TaskSpec(
            name=name,
            description=f"{name} of {account}",
            priority=STEP_PRIORITIES[name],
            function=run,
            trigger=trigger,
            group_id=group_id,
            on_completion=self._ended(name),
        )

    def _ended(self, name: str) -> CompletionCallback | None:
        """What tells ``stopped_by_user`` that the user cancelled a refresh of derived data."""
        stopped_by_user = self._stopped_by_user
        if stopped_by_user is None or name not in DERIVED_REFRESHES:
            return None

        def ended(error: str | None) -> None:
            if error in (CANCELLED_BY_USER, ABORTED_BY_USER):
                stopped_by_user()

        return ended


class SideEffects:
    """The debounced part of what follows a change of audit logs: queueing the refresh chain.

    The cursors were lowered already, at once (``LedgerInvalidator``); the chain waits for those
    writes, so that its refreshes start from the lowered cursors."""

    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        queue: Callable[[], AccountTaskQueue],
        tasks: StepTasks,
        invalidator: LedgerInvalidator,
    ) -> None:
        self._account = account
        self._db = db
        self._events = events
        self._queue = queue
        self._tasks = tasks
        self._invalidator = invalidator

    async def run(self, burst: Burst) -> None:
        await self._invalidator.settled()
        # Whether there are transactions, not lastTx: it is 0 both without any and when the
        # only ones are at 0 (1970-01-01T00:00:00.000Z), which must be computed like any other.
        if burst.cause == "reset":  # nothing to lower; the time span of what is there now
            present = (await self._invalidator.record(None)).has_transactions
        else:
            present = await self._db.read(has_transactions)
        if present:
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
