"""Where the daemon's worker processes come from: a fork server, warmed up as the daemon starts.

Parsing a large import runs in worker processes (``domain.parallel_import``). Each is forked
from a fork server that has the worker's modules loaded already, so it starts in milliseconds
and inherits none of the daemon's threads or connections. Starting the server and loading those
modules takes about a second, which the daemon spends on a thread as it starts, not in the
first import. This module imports little, so the daemon can start the server early.
"""

import logging
import multiprocessing
import os
import sys
import threading
from multiprocessing import forkserver

log = logging.getLogger(__name__)

WORKER_MODULE = "privatefolio_daemon.domain.shard_worker"
MAX_WORKERS = 8
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
    modules = [WORKER_MODULE]
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is None and getattr(main, "__file__", None):
        modules.append("privatefolio_daemon.cli")
    return modules


if FORK_SERVER:
    PROCESSES.set_forkserver_preload(_preloaded_modules())


def worker_count(setting: int) -> int:
    """``setting`` workers, or with 0 one per usable core (at most ``MAX_WORKERS``)."""
    if setting > 0:
        return setting
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return min(len(usable) if usable else os.cpu_count() or 1, MAX_WORKERS)


def warm_up_in_background() -> None:
    """Start the fork server on a thread now, so that the first large import does not wait."""
    if FORK_SERVER:
        threading.Thread(target=_warm_up, name="worker-processes-warm-up", daemon=True).start()


def _warm_up() -> None:
    try:
        forkserver.ensure_running()
    except Exception:
        log.warning("Could not start the worker process server ahead of time", exc_info=True)
