"""Awaiting a write whose outcome matters even to a caller that is cancelled meanwhile.

A write runs on the database's thread, and cancelling the coroutine that awaits it does not stop
it: a write that commits after its caller was cancelled is in the database, but the caller never
learns so (an import then read "aborted" with its rows saved, and its events never went out).
"""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def seen_through(write: Awaitable[T]) -> T:
    """The write's result, even if the caller is cancelled while it runs, once or more (a user's
    cancel, then a stop); if the write failed or was interrupted, the caller's cancellation goes
    on as usual."""
    job = asyncio.ensure_future(write)
    cancels = 0
    while not job.done():
        try:
            await asyncio.wait({job})
        except asyncio.CancelledError:
            cancels += 1
    if cancels:
        if job.cancelled() or job.exception() is not None:
            raise asyncio.CancelledError
        task = asyncio.current_task()
        for _ in range(cancels):
            if task is not None:
                task.uncancel()  # the work is done: what follows it (its events) must run
    return job.result()
