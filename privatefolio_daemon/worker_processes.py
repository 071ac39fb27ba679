"""Where the daemon's worker processes come from: a fork server, warmed up as the daemon starts.

Parsing a large import (``domain.parallel_import``) and reading the logs of a large balance pass
(``domain.balance_worker``) run in worker processes. Each is forked
from a fork server that has the worker's modules loaded already, so it starts in milliseconds
and inherits none of the daemon's threads or connections. Starting the server and loading those
modules takes about a second, which the daemon spends on a thread as it starts, not in the
first import. This module imports little, so the daemon can start the server early.
"""

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
from multiprocessing import forkserver

from privatefolio_daemon.settings import Limits

log = logging.getLogger(__name__)

WORKER_MODULES = (
    "privatefolio_daemon.domain.shard_worker",
    "privatefolio_daemon.domain.balance_worker",
)
MAX_WORKERS = 8
#: Worker processes run at a lower priority than the daemon and the user's programs: when every
#: core is busy, the daemon's answers and the frontend get the CPU first. An idle core runs a
#: worker at full speed all the same.
WORKER_NICENESS = 5
#: Where there is no fork server (Windows), each worker is a fresh interpreter instead.
FORK_SERVER = "forkserver" in multiprocessing.get_all_start_methods()
PROCESSES = (
    multiprocessing.get_context("forkserver")
    if FORK_SERVER
    else multiprocessing.get_context("spawn")
)


def _preloaded_modules() -> list[str]:
    """What the fork server imports once for every worker.

    A worker first runs the main script again (as ``__mp_main__``) when the process was started
    from a script file rather than with ``-m``: the ``privatefolio-daemon`` console script,
    whose one import is the CLI. Loaded in the fork server, that import costs a worker nothing.
    """
    modules = list(WORKER_MODULES)
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is None and getattr(main, "__file__", None):
        modules.append("privatefolio_daemon.cli")
    return modules


if FORK_SERVER:
    PROCESSES.set_forkserver_preload(_preloaded_modules())


def prepare_worker() -> None:
    """Called first thing in a worker process."""
    _end_with_parent()
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)


def _end_with_parent() -> None:
    """A worker ends as soon as the process that started it, the daemon, is gone (killed or
    crashed): it must not parse on for nobody. (The fork server cannot see to that: every
    worker keeps it alive.)"""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="end-with-the-daemon", daemon=True).start()


class WorkersUnavailable(Exception):
    """No worker process could be started (the work then runs in the daemon's process)."""


def usable_cores() -> int:
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(usable) if usable else os.cpu_count() or 1


def worker_count(setting: int) -> int:
    """``setting`` workers, or with 0 one per usable core (at most ``MAX_WORKERS``)."""
    return setting if setting > 0 else min(usable_cores(), MAX_WORKERS)


def balance_worker_min_logs(limits: Limits) -> int:
    """The fewest logs a balance pass reads in a worker process; 0: none (one core only)."""
    return limits.parallel_balances_min_logs if usable_cores() > 1 else 0


def uses_workers(limits: Limits) -> bool:
    return worker_count(limits.import_workers) > 1 or balance_worker_min_logs(limits) > 0


def warm_up_in_background() -> None:
    """Start the fork server on a thread now, so that the first large import does not wait."""
    if FORK_SERVER:
        threading.Thread(target=_warm_up, name="worker-processes-warm-up", daemon=True).start()


def _warm_up() -> None:
    try:
        forkserver.ensure_running()
    except Exception:
        log.warning("Could not start the worker process server ahead of time", exc_info=True)
