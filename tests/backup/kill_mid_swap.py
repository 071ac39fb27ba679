"""Serve a data dir as ``privatefolio-daemon serve --port 0 --print-ready --no-crons`` does, and
SIGKILL this process right after one step of a restore's swap (``Restores.swap``'s step hook).

python -m tests.backup.kill_mid_swap DATA_DIR STEP
"""

import os
import signal
import sys
from typing import Any

from privatefolio_daemon import event_loop
from privatefolio_daemon.app import Daemon, run_until_signalled
from privatefolio_daemon.config import load_config
from privatefolio_daemon.domain.backup.restore import Restores
from privatefolio_daemon.logging_setup import configure_logging
from tests.backup.stop_mid_swap import announce


def kill_after(step: str) -> None:
    """Every restore's swap gets a step hook that kills the process after ``step``."""
    swap = Restores.swap

    def hook(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    async def swap_then_die(self: Restores, account: str, journal: Any, report: Any) -> None:
        await swap(self, account, journal, report, hook)

    Restores.swap = swap_then_die  # type: ignore[method-assign]


def main() -> None:
    data_dir, step = sys.argv[1:3]
    config = load_config(environ={}, data_dir=data_dir, port=0, crons=False)
    configure_logging(config.log_level)
    kill_after(step)
    daemon = Daemon(config)
    sys.exit(event_loop.run(run_until_signalled(daemon, announce)))


if __name__ == "__main__":
    main()
