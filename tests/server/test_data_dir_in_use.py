"""What holds the data dir's lock is named: a daemon, a daemon still starting, or an offline
backup or restore, which the others wait for rather than look for a daemon."""

import os
import subprocess
from pathlib import Path

from privatefolio_daemon.store.instance_lock import InstanceLock
from tests.backup.test_backup_cli import cli, make_account
from tests.daemon_process import clean_environment, daemon_command


def serve(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        daemon_command(data_dir, "--port", "0"),
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )


async def test_an_offline_backup_holding_the_data_dir_is_named(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    archive = tmp_path / "main.zip"
    assert cli("backup", "main", "-o", str(archive), "--data-dir", str(data_dir)).returncode == 0
    lock = InstanceLock(data_dir, holder="backup")  # what an offline backup takes
    lock.acquire()
    try:
        started = serve(data_dir)
        backed_up = cli(
            "backup", "main", "-o", str(tmp_path / "b.zip"), "--data-dir", str(data_dir)
        )
        restored = cli("restore", "main", str(archive), "--data-dir", str(data_dir))
        called = cli("call", "getAccountNames", "--data-dir", str(data_dir))
    finally:
        lock.release()
    using = f"An offline backup (pid {os.getpid()}) is using {data_dir}"
    assert (started.returncode, started.stderr) == (
        3,
        f"privatefolio-daemon: {using}; wait for it to finish, then start the daemon.\n",
    )
    for command in (backed_up, restored):
        assert (command.returncode, command.stderr) == (
            1,
            f"privatefolio-daemon: {using}; wait for it to finish, then try again.\n",
        )
    assert (called.returncode, called.stderr) == (
        1,
        f"privatefolio-daemon: {using}, so no daemon runs there; wait for it to finish, then "
        "start one with `privatefolio-daemon serve`.\n",
    )


async def test_a_daemon_still_starting_is_waited_for(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 10, seed=1)
    lock = InstanceLock(data_dir)  # a daemon's, before it listens and writes daemon.json
    lock.acquire()
    try:
        backed_up = cli(
            "backup", "main", "-o", str(tmp_path / "b.zip"), "--data-dir", str(data_dir)
        )
        called = cli("call", "getAccountNames", "--data-dir", str(data_dir))
    finally:
        lock.release()
    starting = (
        f"privatefolio-daemon: The privatefolio-daemon (pid {os.getpid()}) using {data_dir} is "
        "still starting (an upgrade of its databases can take a while); try again once it "
        "listens.\n"
    )
    assert (backed_up.returncode, backed_up.stderr) == (1, starting)
    assert (called.returncode, called.stderr) == (1, starting)
