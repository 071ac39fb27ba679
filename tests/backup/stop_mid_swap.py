"""Serve a data dir as ``privatefolio-daemon serve --port 0 --print-ready --no-crons`` does, and
send this process SIGTERM once a restore has closed the account "main" to swap its files.

python -m tests.backup.stop_mid_swap DATA_DIR
"""

import os
import signal
import sys

import orjson

from privatefolio_daemon import event_loop
from privatefolio_daemon.app import Daemon, run_until_signalled
from privatefolio_daemon.config import load_config
from privatefolio_daemon.logging_setup import configure_logging
from privatefolio_daemon.store.database import Database


class SigtermOnceMainCloses:
    """An account lifecycle: at the first close of "main" (a restore's), the process gets
    SIGTERM, as from a service manager."""

    def __init__(self) -> None:
        self.sent = False

    async def account_opened(self, name: str, db: Database) -> None:
        pass

    async def account_closing(self, name: str) -> None:
        if name == "main" and not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGTERM)


def announce(daemon: Daemon) -> None:
    print(orjson.dumps({"port": daemon.port}).decode(), flush=True)


def main() -> None:
    config = load_config(environ={}, data_dir=sys.argv[1], port=0, crons=False)
    configure_logging(config.log_level)
    daemon = Daemon(config)
    daemon.accounts.add_lifecycle(SigtermOnceMainCloses())
    sys.exit(event_loop.run(run_until_signalled(daemon, announce)))


if __name__ == "__main__":
    main()
