"""Task-history retention: finished tasks and their progress logs go some days after they ended.

A task is finished once completed, failed, aborted or cancelled; it ended at ``completedAt`` (or
when it started, or was created, for a row that has no end). Queued and running tasks are never
deleted, nor are the newest ``keep_newest`` finished tasks, whatever their age, nor a task that
an unread notification tells of.

The pruning is a task of the account's own queue, "Clean up task history", queued at start-up
and by a daily cron when something has expired: the queue never runs it beside a backup, which
zips the log files, or a restore, which swaps them. It goes in batches: the ids on a reader, the
log files on a thread, then the rows on the writer. A crash between the two leaves rows without
logs, which the next run deletes, never logs without rows.

See docs/decisions/0009-task-history-retention.md.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import DAY_MS, human_date, now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through
from privatefolio_daemon.store.task_history import (
    count_expired_tasks,
    delete_finished_tasks,
    expired_task_ids,
)
from privatefolio_daemon.store.task_log_files import task_log_path

log = logging.getLogger(__name__)

TASK_NAME = "Clean up task history"
#: How often the cron looks for expired tasks.
CRON_MINUTES = 24 * 60
#: Tasks (rows and log files) per batch: the writer holds about 2 ms a batch (decision 0009).
BATCH_TASKS = 500

Progress = Callable[[float | None, str | None], None]


@dataclass(frozen=True, slots=True)
class TaskHistoryRetention:
    #: Days a finished task is kept after it ended; 0 keeps every task.
    days: int = 90
    #: The newest finished tasks stay whatever their age, so the task list never goes empty.
    keep_newest: int = 100
    batch_tasks: int = BATCH_TASKS

    @property
    def enabled(self) -> bool:
        return self.days > 0

    def ended_before(self, now: int) -> int:
        """Tasks that ended before this time (ms) have expired."""
        return now - self.days * DAY_MS


@dataclass(frozen=True, slots=True)
class PruneResult:
    tasks: int
    logs: int


def remove_task_logs(logs_dir: Path, task_ids: list[int]) -> int:
    """Delete the log files of these tasks (a task that never ran has none); returns how many."""
    removed = 0
    for task_id in task_ids:
        try:
            task_log_path(logs_dir, task_id).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


class TaskHistoryPruner:
    """Prunes one account's task history."""

    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        logs_dir: Path,
        retention: TaskHistoryRetention,
    ) -> None:
        self.account = account
        self.retention = retention
        self._db = db
        self._events = events
        self._logs_dir = logs_dir

    async def has_expired_tasks(self) -> bool:
        if not self.retention.enabled:
            return False
        ended_before = self.retention.ended_before(now_ms())
        keep_newest = self.retention.keep_newest
        ids = await self._db.read(
            lambda conn: expired_task_ids(
                conn, ended_before=ended_before, keep_newest=keep_newest, after_id=0, limit=1
            )
        )
        return bool(ids)

    def spec(self, trigger: Trigger) -> TaskSpec:
        async def run(progress: Progress, cancel: CancelToken) -> None:
            await self.prune(progress, cancel)

        return TaskSpec(
            name=TASK_NAME,
            description=(
                f"Delete the tasks of {self.account} that ended more than "
                f"{self.retention.days} days ago, and their logs"
            ),
            priority=Priority.LOWEST,
            function=run,
            trigger=trigger,
            determinate=True,
        )

    async def prune(self, progress: Progress, cancel: CancelToken) -> PruneResult:
        """Delete the expired tasks and their log files, a batch at a time."""
        if not self.retention.enabled:
            return PruneResult(0, 0)
        ended_before = self.retention.ended_before(now_ms())
        keep_newest = self.retention.keep_newest
        total = await self._db.read(
            lambda conn: count_expired_tasks(
                conn, ended_before=ended_before, keep_newest=keep_newest
            )
        )
        progress(
            0,
            f"Deleting {total:,} tasks that ended before {human_date(ended_before)}, "
            "and their logs",
        )
        tasks = logs = last_id = 0
        try:
            while True:
                cancel.checkpoint()
                ids = await self._db.read(
                    partial(
                        expired_task_ids,
                        ended_before=ended_before,
                        keep_newest=keep_newest,
                        after_id=last_id,
                        limit=self.retention.batch_tasks,
                    )
                )
                if not ids:
                    break
                last_id = ids[-1]
                logs += await self._remove_logs(ids)
                deleting = self._db.write(partial(delete_finished_tasks, task_ids=ids))
                tasks += await seen_through(deleting)  # counted, and announced, once deleted
                progress(min(100.0, 100 * tasks / max(total, 1)), None)
        finally:
            if tasks:
                self._events.emit("server-tasks", account=self.account)
                log.info(
                    "%s: deleted %d tasks that ended more than %d days ago, and %d log files",
                    self.account,
                    tasks,
                    self.retention.days,
                    logs,
                )
        progress(100, f"Deleted {tasks:,} tasks and {logs:,} log files")
        return PruneResult(tasks, logs)

    async def _remove_logs(self, task_ids: list[int]) -> int:
        removal = asyncio.ensure_future(
            asyncio.to_thread(remove_task_logs, self._logs_dir, task_ids)
        )
        try:
            return await asyncio.shield(removal)
        except asyncio.CancelledError:
            # The thread cannot be stopped: its batch ends before the account may close.
            await asyncio.wait({removal})
            raise
