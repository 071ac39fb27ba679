"""The daemon runs Python's cyclic collector rarely: its work frees records by refcount."""

import contextlib
import gc
from pathlib import Path

from privatefolio_daemon import collector
from privatefolio_daemon.collector import YOUNG_THRESHOLD
from tests.conftest import make_config, running_daemon


async def test_a_started_daemon_collects_its_youngest_objects_rarely(
    tmp_path: Path, python_collector: None
) -> None:
    async with running_daemon(make_config(tmp_path)) as (_daemon, client):
        assert await client.call("ping") == "pong"
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_overlapping_pauses_resume_the_collector_when_the_last_ends() -> None:
    assert gc.isenabled()
    first, second = collector.paused(), collector.paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)

    assert not gc.isenabled()  # the second pass still holds its records

    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_disabled_before_it_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pass_that_fails_resumes_the_collector() -> None:
    with contextlib.suppress(RuntimeError), collector.paused():
        raise RuntimeError("the ledger could not be read")

    assert gc.isenabled()
