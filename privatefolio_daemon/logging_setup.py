"""Console logging for the daemon process."""

import logging
import sys


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if root.level > logging.DEBUG:  # a line at every job run and every (re)scheduling
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
