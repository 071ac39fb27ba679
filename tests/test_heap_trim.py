"""Giving freed memory back: the C heap's trim, and the trimmer that runs it once work pauses."""

import asyncio
import gc
import weakref

from privatefolio_daemon.heap_trim import HeapTrimmer, can_trim, trim_heap
from tests.process_memory import needs_malloc_trim, rss_mb


@needs_malloc_trim
def test_trimming_gives_freed_heap_memory_back() -> None:
    blocks = [bytes(100_000) for _ in range(2_000)]  # 200 MB in blocks the heap serves
    above = bytes(100_000)  # keeps the heap from shrinking on its own when the blocks go
    del blocks
    before = rss_mb()

    assert trim_heap()

    assert before - rss_mb() >= 100
    del above


class Releases:
    def __init__(self) -> None:
        self.owners: list[str] = []

    async def __call__(self, owner: str) -> None:
        self.owners.append(owner)


async def test_the_trim_waits_for_work_to_pause_and_releases_each_owner_once() -> None:
    released = Releases()
    trimmer = HeapTrimmer(1.0, released)
    trimmer.work_ended("b")
    await asyncio.sleep(0.5)
    trimmer.work_ended("a")
    trimmer.work_ended("b")
    await asyncio.sleep(0.7)  # 1.2 s after the first end, 0.7 s after the last

    assert released.owners == []

    for _ in range(100):
        if released.owners:
            break
        await asyncio.sleep(0.05)
    await trimmer.close()
    assert released.owners == ["a", "b"]
    assert trimmer.trims == (1 if can_trim() else 0)


async def test_quiet_seconds_zero_never_trims() -> None:
    released = Releases()
    trimmer = HeapTrimmer(0, released)
    trimmer.work_ended("a")
    await asyncio.sleep(0.1)
    await trimmer.close()

    assert (released.owners, trimmer.trims) == ([], 0)


class Client:
    """Something a failed request leaves in a reference cycle (its error's traceback)."""

    def __init__(self) -> None:
        self.itself = self


async def test_the_trim_frees_what_the_work_left_in_reference_cycles() -> None:
    gc.disable()  # as if no collection were due for a long while
    try:
        client = Client()
        left = weakref.ref(client)
        del client
        trimmer = HeapTrimmer(0.01)
        trimmer.work_ended("main")
        await asyncio.sleep(0.1)
        await trimmer.close()

        assert left() is None
    finally:
        gc.enable()
