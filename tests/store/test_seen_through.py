"""A write seen through: its caller learns its result however often it is cancelled meanwhile
(a user's cancelTask, then a stop), and a write that fails leaves the cancellation as it was."""

import asyncio

import pytest

from privatefolio_daemon.store.seen_through import seen_through


async def test_a_write_is_seen_through_two_cancels() -> None:
    write: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    caller = asyncio.create_task(seen_through(write))
    await asyncio.sleep(0)
    caller.cancel()  # the user's cancelTask
    await asyncio.sleep(0)
    caller.cancel()  # the stop that follows
    await asyncio.sleep(0)
    write.set_result(5)

    assert await caller == 5
    assert caller.cancelling() == 0


async def test_a_failed_write_leaves_the_caller_cancelled() -> None:
    write: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    caller = asyncio.create_task(seen_through(write))
    await asyncio.sleep(0)
    caller.cancel()
    await asyncio.sleep(0)
    write.set_exception(OSError("disk full"))

    with pytest.raises(asyncio.CancelledError):
        await caller
