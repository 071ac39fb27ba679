import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import packages_loaded_by

REPO = Path(__file__).resolve().parents[1]


def test_the_fork_server_preloads_no_network_stack() -> None:
    """The fork server loads these before it can start the first worker, while the
    daemon starts; aiohttp alone would make it about a second slower on a slow machine."""
    code = (
        "from privatefolio_daemon import worker_processes\n"
        "for module in (*worker_processes.WORKER_MODULES, 'privatefolio_daemon.cli'):\n"
        "    __import__(module)\n"
    )
    assert packages_loaded_by(code, ("aiohttp", "web3", "ccxt", "apscheduler")) == []


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_ends_when_the_daemon_is_killed() -> None:
    """A daemon killed mid-import (SIGKILL, a crash) leaves no worker parsing for nobody."""
    code = (
        "import os, signal, time\n"
        "from privatefolio_daemon.worker_processes import PROCESSES\n"
        "from tests.worker_probe import sleep_as_worker\n"
        "if __name__ == '__main__':\n"
        "    worker = PROCESSES.Process(target=sleep_as_worker, args=(60,))\n"
        "    worker.start()\n"
        "    print(worker.pid, flush=True)\n"
        "    time.sleep(1)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    daemon = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert daemon.returncode == -signal.SIGKILL, daemon.stderr
    worker = int(daemon.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
