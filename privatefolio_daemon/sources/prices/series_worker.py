"""The CPU work on price series, off the event loop: reading a provider's answer into candles,
converting them into USD, filling the days a market is closed.

Decades of daily candles take tens of ms of Python each, which would stall every other client of
the daemon. The providers of one registry share one worker thread for it: Python threads take
turns (the GIL), so a second one would not finish the series sooner, and each one more makes
the event loop wait longer for its turn (decision 0014).
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class SeriesWorker:
    """One worker thread, started when first used; ``close`` ends it once its work is done (a
    later ``run`` starts another)."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the worker thread, after the work given to it before."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="price-series")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
