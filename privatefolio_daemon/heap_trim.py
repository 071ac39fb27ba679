"""Handing the C heap's free memory back to the system once the daemon's work pauses.

glibc keeps what large work frees (an import's rows, SQLite's sorter runs, a balance pass's
maps) in its heaps for reuse, so without a trim the daemon's RSS stays near its peak. Two
imports of 100k rows, each with its balances and net worth, left the daemon at 305 MB: 73 MB at
the start, 68 MB for ccxt (imported by the price fetches), and the rest the writers' page caches
and freed heap. Shrinking the page caches, then ``malloc_trim`` (12–17 ms), took it to 156 MB.
Other C libraries (macOS, Windows, musl) have no such call; there only the caches are freed.
"""

import asyncio
import ctypes
import functools
import gc
import sys
from collections.abc import Awaitable, Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # a C library without it (musl)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def can_trim() -> bool:
    return _malloc_trim() is not None


def trim_heap() -> bool:
    """Give the heap's free pages back to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class HeapTrimmer:
    """Once no work has ended for ``quiet_seconds``, releases what the idle owners hold, then
    trims the heap on a worker thread.

    Work that ends (an account's task queue running dry) calls :meth:`work_ended` with its owner
    (the account); each call postpones the trim, so a chain of tasks (an import, then its
    balances and net worth) is trimmed after once. A large answer sent (:meth:`answer_sent`)
    postpones it too: pages of 100k rows left 300 MB of freed heap that no task would trim.
    ``release(owner)`` frees the owner's caches first (an account's SQLite page caches), which
    is most of what a trim can give back.
    ``quiet_seconds`` 0 never trims.
    """

    def __init__(
        self, quiet_seconds: float, release: Callable[[str], Awaitable[None]] | None = None
    ) -> None:
        self._quiet_seconds = quiet_seconds
        self._release = release
        self._owners: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._trimming: asyncio.Task[None] | None = None
        self.trims = 0
        """How many trims gave memory back (none where the C library cannot)."""

    def work_ended(self, owner: str) -> None:
        if self._quiet_seconds <= 0:
            return
        self._owners.add(owner)
        self._postpone()

    def answer_sent(self) -> None:
        """A large answer went out (its rows read, made records and encoded): trim once quiet."""
        if self._quiet_seconds > 0:
            self._postpone()

    def _postpone(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(self._quiet_seconds, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._trimming is None or self._trimming.done():
            self._trimming = asyncio.create_task(self.trim_now(), name="heap-trim")

    async def trim_now(self) -> None:
        """Release the owners whose work ended since the last trim, then trim the heap."""
        owners, self._owners = self._owners, set()
        if self._release is not None:
            for owner in sorted(owners):
                await self._release(owner)
        # The collector runs rarely (``collector``): what the work left in reference cycles (a
        # failed request's client, session and TLS context, about 0.7 MB each) is young still.
        gc.collect(1)
        if await asyncio.to_thread(trim_heap):
            self.trims += 1

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._trimming is not None:
            await self._trimming
