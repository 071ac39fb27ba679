"""Run an offline restore and kill the process (``os._exit``) right after one step.

python -m tests.backup.crash_restore DATA_DIR ACCOUNT ZIP STEP
"""

import asyncio
import os
import sys
from pathlib import Path

from privatefolio_daemon.cli_backup import restore
from privatefolio_daemon.config import load_config

KILLED = 70


def main() -> None:
    data_dir, account, archive, crash_after = sys.argv[1:5]

    def step(name: str) -> None:
        if name == crash_after:
            os._exit(KILLED)

    asyncio.run(restore(load_config(environ={}, data_dir=data_dir), account, Path(archive), step))


if __name__ == "__main__":
    main()
