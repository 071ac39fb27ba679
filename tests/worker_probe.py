"""A worker process that does nothing for a while, for tests of how workers end."""

import time

from privatefolio_daemon.worker_processes import prepare_worker


def sleep_as_worker(seconds: float) -> None:
    prepare_worker()
    time.sleep(seconds)
