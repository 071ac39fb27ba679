"""Scheduled jobs on APScheduler 3.x: stable ids, coalesced missed runs, one instance at a time.

A job's next run is counted from its last run, which is kept (``CronRunLog``): a daemon restarted
every day still runs its weekly jobs, a job overdue at start runs at once, and a new interval
applies from the last run, not from the change. A job that never ran counts from when it was
first scheduled, which is kept the same way, so a restart does not push its first run back.

APScheduler is imported when the scheduler starts, not when the daemon starts.
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from privatefolio_daemon.domain.intervals import MAX_INTERVAL_MINUTES

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class CronRunLog(Protocol):
    async def last_runs(self) -> dict[str, int]: ...

    async def record(self, job_id: str, at: int) -> None: ...

    async def carry(self, moves: Mapping[str, str]) -> None: ...

    async def forget(self, job_ids: Iterable[str]) -> None: ...


class Crons:
    def __init__(
        self, *, enabled: bool, jitter_seconds: int = 30, runs: CronRunLog | None = None
    ) -> None:
        self.enabled = enabled
        self._jitter = jitter_seconds
        self._runs = runs
        self._last_runs: dict[str, int] = {}
        self._scheduler: Any = None
        self._pending: dict[str, tuple[float, Job]] = {}
        self._once: dict[str, Job] = {}
        self._notes: set[asyncio.Task[None]] = set()
        self._started_without_scheduler = False
        self._unscheduled: set[asyncio.Task[None]] = set()
        """Jobs run ``even_without_crons`` while the crons are off."""
        self._in_flight: set[asyncio.Task[Any]] = set()
        """The runs the scheduler started that have not ended."""
        self._stopping = False

    async def load_last_runs(self) -> None:
        """Read when each job last ran; before ``start``, so the first schedules know it."""
        if self.enabled and self._runs is not None:
            self._last_runs = await self._runs.last_runs()

    def start(self) -> None:
        if not self.enabled:
            self._started_without_scheduler = True
            once, self._once = self._once, {}
            for job_id, job in once.items():
                self._run_without_scheduler(job_id, job)
            return
        if self._scheduler is not None:
            return
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.start()
        for job_id, (minutes, job) in self._pending.items():
            self._add(job_id, minutes, job)
        once, self._once = self._once, {}
        for job_id, job in once.items():
            self._add_once(job_id, job)

    async def stop(self) -> None:
        """Shut the scheduler down once the first schedules being noted are kept; the runs in
        flight (jobs overdue at start, say) are cut off quietly, and have ended on return."""
        await asyncio.gather(*self._notes)
        for run in list(self._unscheduled):
            run.cancel()
        await asyncio.gather(*self._unscheduled, return_exceptions=True)
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.pause()
            # A run just handed out takes its first step, into ``_cut_off_quietly``: cancelled
            # before it, APScheduler would log it as an error.
            await asyncio.sleep(0)
        in_flight = list(self._in_flight)
        self.shutdown()  # cancels the runs in flight
        await asyncio.gather(*in_flight, return_exceptions=True)

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def every(self, job_id: str, minutes: float, job: Job) -> None:
        """Run ``job`` every ``minutes``; a job with the same id is replaced at once."""
        if not self.enabled:
            return
        if not _schedulable(minutes):
            log.error("Not scheduling %s: every %r minutes cannot be scheduled", job_id, minutes)
            return
        self._pending[job_id] = (minutes, job)
        if self._scheduler is not None:
            self._add(job_id, minutes, job)

    def once(self, job_id: str, job: Job, *, even_without_crons: bool = False) -> None:
        """Run ``job`` once, when the scheduler starts (at once when it runs already). A job
        ``even_without_crons`` (restart recovery) runs at start when the crons are off too."""
        if not self.enabled:
            if even_without_crons:
                self._run_without_scheduler(job_id, job)
            return
        if self._scheduler is None:
            self._once[job_id] = job
        else:
            self._add_once(job_id, job)

    def remove(self, job_id: str) -> None:
        self._pending.pop(job_id, None)
        self._once.pop(job_id, None)
        if self._scheduler is not None and self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def carry(self, moves: Mapping[str, str]) -> None:
        """Jobs renamed (an account's, with the account): each new id goes on from the last run
        of its old id, which is forgotten. Kept with the crons off too."""
        for old, new in moves.items():
            last = self._last_runs.pop(old, None)
            if last is None:
                continue
            self._last_runs[new] = last
            scheduled = self._pending.get(new)
            if scheduled is not None and self._scheduler is not None:
                self._add(new, *scheduled)
        if self._runs is not None:
            self._note(", ".join(moves.values()), self._runs.carry(dict(moves)))

    def forget(self, job_ids: Iterable[str]) -> None:
        """Jobs gone for good (an account's, deleted): removed, and when they last ran too."""
        gone = list(job_ids)
        for job_id in gone:
            self.remove(job_id)
            self._last_runs.pop(job_id, None)
        if self._runs is not None:
            self._note(", ".join(gone), self._runs.forget(gone))

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
        now = datetime.now(UTC)
        self._scheduler.add_job(
            self._recorded(job_id, job),
            trigger,
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=max(self._counted_from(job_id, now) + timedelta(minutes=minutes), now),
        )
        log.debug("Scheduled %s every %s", job_id, timedelta(minutes=minutes))

    def _counted_from(self, job_id: str, now: datetime) -> datetime:
        """When the job last ran, or was first scheduled (noted now if it never was); never
        later than now (the clock went back)."""
        last = self._last_runs.get(job_id)
        if last is not None:
            try:
                return min(datetime.fromtimestamp(last / 1000, UTC), now)
            except (OverflowError, OSError, ValueError):
                log.warning("%s: its last run %r is no date; counting from now", job_id, last)
        at = int(now.timestamp() * 1000)
        self._last_runs[job_id] = at
        if self._runs is not None:
            self._note(job_id, self._runs.record(job_id, at))
        return now

    def _note(self, job_ids: str, write: Awaitable[None]) -> None:
        """Keep a change of the last runs off the caller's path; ``stop`` waits for it. Notes
        are written in the order they are taken."""
        note = asyncio.get_running_loop().create_task(self._kept(job_ids, write))
        self._notes.add(note)
        note.add_done_callback(self._notes.discard)

    def _run_without_scheduler(self, job_id: str, job: Job) -> None:
        """At start (kept until then), or at once once started."""
        if not self._started_without_scheduler:
            self._once[job_id] = job
            return
        run = asyncio.get_running_loop().create_task(_logged(job_id, job), name=job_id)
        self._unscheduled.add(run)
        run.add_done_callback(self._unscheduled.discard)

    def _add_once(self, job_id: str, job: Job) -> None:
        run = self._cut_off_quietly(job_id, job)
        self._scheduler.add_job(run, id=job_id, name=job_id, replace_existing=True)

    def _recorded(self, job_id: str, job: Job) -> Job:
        """``job``, noting when it starts (a run that fails still counts as run)."""

        async def run() -> None:
            at = int(time.time() * 1000)
            self._last_runs[job_id] = at
            await self._record(job_id, at)
            await job()

        return self._cut_off_quietly(job_id, run)

    def _cut_off_quietly(self, job_id: str, job: Job) -> Job:
        """What the scheduler runs (a coroutine function, awaited on the loop): ``job``, which a
        stop cuts off with no error logged. APScheduler logs a run it cancels as failed."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                log.info("%s: cut off by the stop", job_id)
            finally:
                self._in_flight.discard(task)

        return run

    async def _record(self, job_id: str, at: int) -> None:
        if self._runs is not None:
            await self._kept(job_id, self._runs.record(job_id, at))

    async def _kept(self, job_ids: str, write: Awaitable[None]) -> None:
        try:
            await write
        except Exception:
            log.exception("Could not keep the schedule of %s", job_ids)


async def _logged(job_id: str, job: Job) -> None:
    try:
        await job()
    except Exception:
        log.exception("Job %s failed", job_id)


def _schedulable(minutes: object) -> bool:
    """At least a minute (APScheduler counts every run up to now), at most what a date holds."""
    return (
        isinstance(minutes, int | float)
        and not isinstance(minutes, bool)
        and math.isfinite(minutes)
        and 1 <= minutes <= MAX_INTERVAL_MINUTES
    )
