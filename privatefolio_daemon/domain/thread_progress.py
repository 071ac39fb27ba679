"""Progress reports from a database thread, delivered on the event loop in order."""

import asyncio
from collections.abc import Callable

from privatefolio_daemon.domain.derived_steps import Progress

Report = Callable[[float | None, str | None], None]


def thread_safe(progress: Progress) -> Report:
    """A ``progress`` that any thread may call; call this on the event loop."""
    loop = asyncio.get_running_loop()

    def report(percent: float | None, message: str | None) -> None:
        loop.call_soon_threadsafe(progress, percent, message)

    return report
