import subprocess
import sys

from tests.shared_fixtures import REPO_ROOT


def test_the_fork_server_preloads_no_network_stack() -> None:
    """The fork server loads these before it can start the first worker, while the
    daemon starts; aiohttp alone would make it about a second slower on a slow machine."""
    code = (
        "import sys\n"
        "from privatefolio_daemon import worker_processes\n"
        "for module in (*worker_processes.WORKER_MODULES, 'privatefolio_daemon.cli'):\n"
        "    __import__(module)\n"
        "heavy = ('aiohttp', 'web3', 'ccxt', 'apscheduler')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
