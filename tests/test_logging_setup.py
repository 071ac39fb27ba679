"""The daemon's console log: the scheduler's line at every job run is left out unless debugging."""

import logging
from collections.abc import Iterator

import pytest

from privatefolio_daemon.logging_setup import configure_logging


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    handlers, level, scheduler_level = root.handlers[:], root.level, scheduler.level
    yield
    root.handlers[:], root.level = handlers, level
    scheduler.setLevel(scheduler_level)


def test_job_runs_are_not_logged_at_info() -> None:
    configure_logging("INFO")
    scheduler = logging.getLogger("apscheduler.executors.default")
    assert not scheduler.isEnabledFor(logging.INFO)
    assert scheduler.isEnabledFor(logging.WARNING)
    assert logging.getLogger("privatefolio_daemon.app").isEnabledFor(logging.INFO)


def test_debugging_logs_them() -> None:
    configure_logging("DEBUG")
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
