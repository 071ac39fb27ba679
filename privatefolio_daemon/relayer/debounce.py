"""A trailing-edge debouncer with a maximum wait, keeping the strongest cause and the oldest time
of a burst of audit-log events."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_STRENGTH = {"reset": 1, "deleted": 2, "created": 3}


@dataclass(slots=True)
class Burst:
    cause: str
    oldest_timestamp: int | None
    group_id: str | None


class AuditLogDebouncer:
    """Collects ``(cause, oldestTimestamp, groupId)`` events; ``updated`` ones are ignored."""

    def __init__(
        self,
        fire: Callable[[Burst], Coroutine[Any, Any, None]],
        *,
        delay_seconds: float = 1.5,
        max_wait_seconds: float = 10.0,
    ) -> None:
        self._fire = fire
        self._delay = delay_seconds
        self._max_wait = max_wait_seconds
        self._burst: Burst | None = None
        self._first_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._runs: set[asyncio.Task[None]] = set()

    def __call__(
        self, cause: str, oldest_timestamp: int | None = None, group_id: str | None = None
    ) -> None:
        if cause not in _STRENGTH:
            return
        loop = asyncio.get_running_loop()
        burst = self._burst
        if burst is None:
            self._burst = Burst(cause, oldest_timestamp, group_id)
            self._first_at = loop.time()
        else:
            if _STRENGTH[cause] > _STRENGTH[burst.cause]:
                burst.cause = cause
            if oldest_timestamp is not None and (
                burst.oldest_timestamp is None or oldest_timestamp < burst.oldest_timestamp
            ):
                burst.oldest_timestamp = oldest_timestamp
            burst.group_id = group_id or burst.group_id
        if self._timer is not None:
            self._timer.cancel()
        due = min(loop.time() + self._delay, self._first_at + self._max_wait)
        self._timer = loop.call_at(due, self._flush)

    def _flush(self) -> None:
        burst, self._burst, self._timer = self._burst, None, None
        if burst is None:
            return
        run = asyncio.create_task(self._fire(burst))
        self._runs.add(run)
        run.add_done_callback(self._done)

    def _done(self, run: asyncio.Task[None]) -> None:
        self._runs.discard(run)
        if not run.cancelled() and run.exception() is not None:
            log.error("The side effects of an audit-log change failed", exc_info=run.exception())

    @property
    def pending_cause(self) -> str | None:
        """The cause of the burst that waits for its delay, if any."""
        return None if self._burst is None else self._burst.cause

    @property
    def firing(self) -> bool:
        """A burst's side effects are being queued."""
        return bool(self._runs)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._burst = None, None
        for run in self._runs:
            run.cancel()
