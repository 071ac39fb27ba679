"""Progress reported from a worker thread, delivered on the event loop, at most once a percent."""

import asyncio
from collections.abc import Callable

#: Called with a percentage and/or a message; ``TaskProgress`` is one.
Report = Callable[[float | None, str | None], None]
Checkpoint = Callable[[], None]


def no_checkpoint() -> None:
    """A checkpoint for work that cannot be cancelled."""


class ThreadReport:
    """Maps a phase's fraction done onto ``start``–``end`` percent of the whole task."""

    def __init__(self, report: Report, start: float, end: float) -> None:
        self._report = report
        self._loop = asyncio.get_running_loop()
        self._start = start
        self._span = end - start
        self._last = -1

    def fraction(self, done: float) -> None:
        percent = int(self._start + self._span * min(max(done, 0.0), 1.0))
        if percent != self._last:
            self._last = percent
            self._loop.call_soon_threadsafe(self._report, float(percent), None)

    def bytes(self, done: int, total: int) -> None:
        self.fraction(done / total if total else 1.0)
