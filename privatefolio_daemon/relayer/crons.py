"""Scheduled jobs on APScheduler 3.x: stable ids, coalesced missed runs, one instance at a time.

APScheduler is imported when the scheduler starts, not when the daemon starts.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Crons:
    def __init__(self, *, enabled: bool, jitter_seconds: int = 30) -> None:
        self.enabled = enabled
        self._jitter = jitter_seconds
        self._scheduler: Any = None
        self._pending: dict[str, tuple[float, Job]] = {}

    def start(self) -> None:
        if not self.enabled or self._scheduler is not None:
            return
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.start()
        for job_id, (minutes, job) in self._pending.items():
            self._add(job_id, minutes, job)

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def every(self, job_id: str, minutes: float, job: Job) -> None:
        """Run ``job`` every ``minutes``; a job with the same id is replaced at once."""
        if not self.enabled:
            return
        self._pending[job_id] = (minutes, job)
        if self._scheduler is not None:
            self._add(job_id, minutes, job)

    def remove(self, job_id: str) -> None:
        self._pending.pop(job_id, None)
        if self._scheduler is not None and self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def job(self, job_id: str) -> Any:
        """The APScheduler job, for inspection (``None`` when not scheduled)."""
        return None if self._scheduler is None else self._scheduler.get_job(job_id)

    def wake(self) -> None:
        """Ask the scheduler to look at due jobs now (after a clock change, say)."""
        if self._scheduler is not None:
            self._scheduler.wakeup()

    def _add(self, job_id: str, minutes: float, job: Job) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        trigger = IntervalTrigger(minutes=minutes, jitter=self._jitter, timezone="UTC")
        self._scheduler.add_job(job, trigger, id=job_id, name=job_id, replace_existing=True)
        log.debug("Scheduled %s every %s", job_id, timedelta(minutes=minutes))
