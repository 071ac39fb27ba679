"""SeriesWorker: the price series' CPU work on one thread beside the event loop."""

import threading

import pytest

from privatefolio_daemon.sources.prices.series_worker import SeriesWorker


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("price-series")]


async def test_work_runs_in_order_on_one_thread_that_is_not_the_event_loops() -> None:
    worker = SeriesWorker()
    done: list[tuple[int, int]] = []

    def work(number: int) -> int:
        done.append((number, threading.get_ident()))
        return number * 2

    try:
        results = [await worker.run(work, number) for number in range(3)]
    finally:
        worker.close()

    assert results == [0, 2, 4]
    assert [number for number, _ in done] == [0, 1, 2]
    threads = {thread for _, thread in done}
    assert len(threads) == 1
    assert threading.get_ident() not in threads


async def test_an_error_of_the_work_is_raised_to_the_caller() -> None:
    worker = SeriesWorker()

    def fail() -> None:
        raise ValueError("no rate")

    try:
        with pytest.raises(ValueError, match="no rate"):
            await worker.run(fail)
    finally:
        worker.close()


async def test_close_ends_the_thread_and_a_later_run_starts_another() -> None:
    before = set(worker_threads())
    worker = SeriesWorker()
    await worker.run(int, "1")
    [thread] = set(worker_threads()) - before

    worker.close()
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert await worker.run(int, "2") == 2
    worker.close()
