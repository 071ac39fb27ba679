"""The relayer: a task queue per account, the side effects of audit-log changes, and the crons.

It follows the accounts through ``AccountLifecycle``: an opened account gets its queue (after
restart recovery), its invalidator and debounced side-effect handler, and its crons, and has its
expired task history cleaned up; a closing account loses them, once the invalidations it heard
are written. With the crons on, an opened account whose derived data is behind its ledger, or
whose refresh chain the last stop interrupted, gets the chain queued again once the crons start.
A refresh of derived data that the user cancels is queued again once the account's queue has run
what it holds, if derived data is still behind then.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.account_closed import ACCOUNT_CLOSED
from privatefolio_daemon.domain.account_settings import AccountSettings
from privatefolio_daemon.domain.derived_steps import (
    AUTO_MERGE,
    DETECT_SPAM,
    PRICE_SOURCE_CHANGED,
    PRICES_CHANGED,
    Step,
)
from privatefolio_daemon.domain.errors import NotFoundError
from privatefolio_daemon.domain.events import ACCOUNT_DELETED, ACCOUNT_RENAMED, EventBus
from privatefolio_daemon.domain.intervals import scheduled_interval
from privatefolio_daemon.domain.invalidation import derived_data_behind
from privatefolio_daemon.domain.key_value import KeyValueStore
from privatefolio_daemon.domain.passes_owed import owed_passes
from privatefolio_daemon.relayer.crons import Crons
from privatefolio_daemon.relayer.debounce import AuditLogDebouncer
from privatefolio_daemon.relayer.invalidator import LedgerInvalidator
from privatefolio_daemon.relayer.side_effects import (
    METADATA_CHAIN,
    REFETCH_CHAIN,
    REFRESH_CHAIN,
    REVALUE_CHAIN,
    SideEffects,
    StepTasks,
)
from privatefolio_daemon.relayer.task_history import (
    CRON_MINUTES,
    TaskHistoryPruner,
    TaskHistoryRetention,
)
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import TaskSpec, Trigger
from privatefolio_daemon.settings import ACCOUNT_SETTINGS_DEFAULTS
from privatefolio_daemon.store.database import Database, Row

log = logging.getLogger(__name__)


#: An account's recurring jobs, whose ids are ``<job>:<account>`` (an account name has no ``:``).
ACCOUNT_JOBS = ("networth", "metadata", "backup", "task-history")
#: Its jobs run once (restart recovery, a cancelled refresh queued again).
ACCOUNT_JOBS_ONCE = ("resume", "refresh-again")


def _job_ids(account: str, jobs: tuple[str, ...] = ACCOUNT_JOBS) -> list[str]:
    return [f"{job}:{account}" for job in jobs]


@dataclass(frozen=True, slots=True)
class RelayerSettings:
    max_concurrent_accounts: int = 2
    debounce_seconds: float = 1.5
    debounce_max_wait_seconds: float = 10.0
    cancel_grace_seconds: float = 5.0
    task_history: TaskHistoryRetention = field(default_factory=TaskHistoryRetention)


def _kept(task: dict[str, Any]) -> bool:
    """Whether closing the account under this task would lose its work for good."""
    return task["trigger"] == "user" or task["name"] in (AUTO_MERGE, DETECT_SPAM)


@dataclass(slots=True)
class _AccountState:
    db: Database
    queue: AccountTaskQueue
    invalidator: LedgerInvalidator
    debouncer: AuditLogDebouncer
    tasks: StepTasks
    task_history: TaskHistoryPruner
    unsubscribe: list[Callable[[], None]]


class Relayer:
    def __init__(
        self,
        events: EventBus,
        logs_dir: Callable[[str], Path],
        steps: Mapping[str, Step],
        crons: Crons,
        settings: RelayerSettings | None = None,
    ) -> None:
        self._events = events
        self._logs_dir = logs_dir
        self._steps = steps
        self.crons = crons
        self.settings = settings or RelayerSettings()
        self._slots = asyncio.Semaphore(self.settings.max_concurrent_accounts)
        self._accounts: dict[str, _AccountState] = {}
        self._stopped = False
        #: Queues a scheduled backup of an account (set by the daemon; ``backupInterval``).
        self.backup_job: Callable[[str], Awaitable[None]] | None = None
        #: Run with the account each time it opens, after what restart recovery queues: work a
        #: stop may have left owed that the store can tell (a compaction, say).
        self.resume_checks: list[Callable[[str], Awaitable[None]]] = []
        #: Takes a notification the queue added (a task no one watched failed), to push it.
        self.on_notification: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        #: Called with the account when its queue has run its last queued task (set by the
        #: daemon).
        self.on_idle: Callable[[str], None] | None = None
        #: Tasks past the point where their work could stop, by account and id, and why.
        self._past_cancelling: dict[tuple[str, int], str] = {}
        #: The accounts where the user cancelled a refresh of derived data, until it is queued
        #: again, with how many tasks their queue had taken then.
        self._refreshes_cancelled: dict[str, int] = {}
        # When the jobs of an account last ran follows it: renamed with it, deleted with it.
        events.subscribe(ACCOUNT_RENAMED, self._account_renamed)
        events.subscribe(ACCOUNT_DELETED, self._account_deleted)

    def _queue_idle(self, account: str) -> None:
        self._refresh_again_if_cancelled(account)
        if self.on_idle is not None:
            self.on_idle(account)

    async def _notified(self, account: str, notification: dict[str, Any]) -> None:
        if self.on_notification is not None:
            await self.on_notification(account, notification)

    # -- AccountLifecycle --------------------------------------------------------------------

    async def account_opened(self, name: str, db: Database) -> None:
        queue = AccountTaskQueue(
            name,
            db,
            self._events,
            self._logs_dir(name),
            self._slots,
            cancel_grace_seconds=self.settings.cancel_grace_seconds,
            notified=self._notified,
            on_idle=self._queue_idle,
        )
        interrupted = await queue.start()
        tasks = StepTasks(name, self._steps, partial(self._refresh_cancelled, name))
        invalidator = LedgerInvalidator(name, db, self._events)
        side_effects = SideEffects(name, db, self._events, lambda: queue, tasks, invalidator)
        debouncer = AuditLogDebouncer(
            side_effects.run,
            delay_seconds=self.settings.debounce_seconds,
            max_wait_seconds=self.settings.debounce_max_wait_seconds,
        )
        unsubscribe = [
            self._events.subscribe("audit-logs", invalidator, account=name),
            self._events.subscribe("audit-logs", debouncer, account=name),
            self._events.subscribe("settings", self._on_settings(name), account=name),
            self._events.subscribe(
                PRICES_CHANGED,
                partial(self._run_chain, name, REVALUE_CHAIN, "side-effect"),
                account=name,
            ),
            self._events.subscribe(
                PRICE_SOURCE_CHANGED,
                partial(self._run_chain, name, REFETCH_CHAIN, "side-effect"),
                account=name,
            ),
        ]
        task_history = TaskHistoryPruner(
            name, db, self._events, self._logs_dir(name), self.settings.task_history
        )
        self._accounts[name] = _AccountState(
            db, queue, invalidator, debouncer, tasks, task_history, unsubscribe
        )
        settings = await AccountSettings(KeyValueStore(db, self._events, name)).get()
        self._schedule_account(name, settings)
        if task_history.retention.enabled:
            self.crons.every(
                f"task-history:{name}",
                CRON_MINUTES,
                partial(self._clean_up_task_history, name, "cron"),
            )
            await self._clean_up_task_history(name, "system")
        # What the last stop left is read now, before any new write can look like it.
        owed, behind = await db.read(lambda conn: (owed_passes(conn), derived_data_behind(conn)))
        self.crons.once(
            f"resume:{name}",
            partial(self._resume_refresh, name, interrupted, owed, behind),
            even_without_crons=True,
        )

    async def account_closing(self, name: str) -> None:
        state = self._accounts.pop(name, None)
        if state is None:
            return
        for unsubscribe in state.unsubscribe:
            unsubscribe()
        state.debouncer.cancel()  # the chain is queued again at the next start if need be
        await state.invalidator.settled()
        self._refreshes_cancelled.pop(name, None)
        for job_id in _job_ids(name, ACCOUNT_JOBS + ACCOUNT_JOBS_ONCE):
            self.crons.remove(job_id)
        await state.queue.stop(ACCOUNT_CLOSED)

    def _account_renamed(self, old: str, new: str) -> None:
        self.crons.carry(dict(zip(_job_ids(old), _job_ids(new), strict=True)))

    def _account_deleted(self, name: str) -> None:
        self.crons.forget(_job_ids(name))

    # -- queues --------------------------------------------------------------------------------

    def queue(self, account: str) -> AccountTaskQueue:
        state = self._accounts.get(account)
        if state is None:
            raise NotFoundError(f'Account "{account}" does not exist')
        return state.queue

    def unfinished_work(self, account: str) -> str | None:
        """What closing the account now would lose, if anything: a task a user started, or the
        merge and spam passes that follow an import, running, queued or still to be queued.
        (A refresh of derived data that a close cuts off is queued again when it opens.)"""
        state = self._accounts.get(account)
        if state is None:
            return None
        snapshot = state.queue.snapshot()
        running = snapshot["running"]
        if running is not None and _kept(running):
            return f"the task {_quoted(running['name'])} is running"
        queued = [task["name"] for task in snapshot["queued"] if _kept(task)]
        if queued:
            return f"the task {_quoted(queued[0])} is queued"
        if state.debouncer.pending_cause == "created" or state.debouncer.firing:
            return "the updates that follow its last change have not started yet"
        return None

    def unwritten_tasks(self, account: str) -> tuple[Row, ...]:
        """The account's task rows that its busy writer has not written yet (decision 0018)."""
        state = self._accounts.get(account)
        return () if state is None else state.queue.rows.unwritten()

    async def enqueue(self, account: str, spec: TaskSpec) -> int:
        return await self.queue(account).enqueue(spec)

    def refusing_user_tasks(self, account: str, why: str) -> AbstractAsyncContextManager[None]:
        """A block in which the account's queue refuses tasks a user starts (-32004, ``why``),
        so what ``unfinished_work`` found stays true until the block closes the account."""
        return self.queue(account).refusing_user_tasks(why)

    def past_cancelling(self, account: str, task_id: int, why: str) -> Callable[[], object]:
        """Mark a task whose work can no longer stop (a restore that swaps the account's files,
        which goes on outside the queue once the account closes): cancelling it is refused with
        ``why`` until the returned function is called, when the task's end is recorded."""
        key = (account, task_id)
        self._past_cancelling[key] = why
        return partial(self._past_cancelling.pop, key, None)

    def why_not_cancellable(self, account: str, task_id: int) -> str | None:
        return self._past_cancelling.get((account, task_id))

    async def stop(self) -> None:
        """Stop the crons and every account's queue (once; later calls return at once)."""
        if self._stopped:
            return
        self._stopped = True
        await self.crons.stop()
        states = list(self._accounts.values())
        for state in states:
            state.debouncer.cancel()
        await asyncio.gather(*(state.invalidator.settled() for state in states))
        await asyncio.gather(*(state.queue.stop() for state in states))

    # -- crons -----------------------------------------------------------------------------------

    def _schedule_account(self, name: str, settings: dict[str, Any]) -> None:
        """Schedule the account's crons; a stored interval that cannot be scheduled is logged
        and its default used."""
        for job_id, interval, chain in (
            (f"networth:{name}", "networthRefreshInterval", REFRESH_CHAIN),
            (f"metadata:{name}", "metadataRefreshInterval", METADATA_CHAIN),
        ):
            minutes = scheduled_interval(
                settings, interval, ACCOUNT_SETTINGS_DEFAULTS[interval], name
            )
            self.crons.every(job_id, minutes, partial(self._run_chain, name, chain))
        backup_minutes = scheduled_interval(settings, "backupInterval", 0, name, off=True)
        if backup_minutes > 0:
            self.crons.every(f"backup:{name}", backup_minutes, partial(self._back_up, name))
        else:
            self.crons.remove(f"backup:{name}")

    async def _back_up(self, name: str) -> None:
        """Queue a scheduled backup (the job is set once the features load, before the crons
        start; accounts open, and schedule theirs, earlier)."""
        if self.backup_job is None:
            log.warning("%s: no scheduled backup: backups are not loaded", name)
        else:
            await self.backup_job(name)

    def _on_settings(self, name: str) -> Callable[[dict[str, Any]], None]:
        def reschedule(settings: dict[str, Any]) -> None:
            if isinstance(settings, dict):  # not the "reset" of a reset or restored account
                self._schedule_account(name, settings)

        return reschedule

    async def _clean_up_task_history(self, name: str, trigger: Trigger) -> None:
        """Queue the clean-up of the account's task history when a task has expired."""
        state = self._accounts.get(name)
        if state is not None and await state.task_history.has_expired_tasks():
            await state.queue.enqueue(state.task_history.spec(trigger))

    async def _resume_refresh(
        self, name: str, interrupted: list[str], owed_at_open: list[str], behind_at_open: bool
    ) -> None:
        """Queue auto-merge and spam detection when a stop left them owed, and the refresh chain
        when the last stop interrupted it, or derived data was behind the ledger when the
        account opened (a stop before the chain was queued)."""
        state = self._accounts.get(name)
        if state is None:
            return
        owed = state.tasks.available(owed_at_open)
        if owed:
            log.info("%s: queueing what the last stop left owed: %s", name, ", ".join(owed))
            await state.queue.enqueue_many([state.tasks.spec(step, "system") for step in owed])
        was_interrupted = not set(interrupted).isdisjoint(REFRESH_CHAIN)
        if was_interrupted or behind_at_open:
            why = "the last stop interrupted it" if was_interrupted else "derived data is behind"
            log.info("%s: queueing the refresh chain: %s", name, why)
            await self._run_chain(name, REFRESH_CHAIN, "system")
        for check in self.resume_checks:
            try:
                await check(name)
            except Exception:
                log.exception("%s: a check at its opening failed", name)

    def _refresh_cancelled(self, name: str) -> None:
        """The user cancelled a refresh of derived data ("not now"): it is queued again once the
        queue has run another task and nothing is left in it."""
        state = self._accounts.get(name)
        if state is not None:
            self._refreshes_cancelled.setdefault(name, state.queue.tasks_taken)

    def _refresh_again_if_cancelled(self, name: str) -> None:
        state = self._accounts.get(name)
        taken_at_cancel = self._refreshes_cancelled.get(name)
        if state is not None and taken_at_cancel is not None:
            if state.queue.tasks_taken == taken_at_cancel:
                return  # nothing ran after the cancel: the user's "not now" holds
            self.crons.once(
                f"refresh-again:{name}",
                partial(self._refresh_again, name),
                even_without_crons=True,
            )

    async def _refresh_again(self, name: str) -> None:
        """Queue the refresh chain again when derived data is behind; once per cancel, so a
        refresh that fails is not queued over and over."""
        state = self._accounts.get(name)
        if state is None or self._refreshes_cancelled.pop(name, None) is None:
            return
        if await state.db.read(derived_data_behind):
            log.info("%s: queueing the refresh chain again: a refresh was cancelled", name)
            await self._run_chain(name, REFRESH_CHAIN, "system")

    async def _run_chain(
        self, name: str, chain: tuple[str, ...], trigger: Trigger = "cron"
    ) -> None:
        state = self._accounts.get(name)
        if state is not None:
            steps = state.tasks.available(chain)
            await state.queue.enqueue_many([state.tasks.spec(step, trigger) for step in steps])


def _quoted(name: str) -> str:
    """A task name in quotes that do not clash with its own (``'Import "c.csv"'``)."""
    return f"'{name}'" if '"' in name else f'"{name}"'
