"""SIGTERM while a restore swaps the account's files: the swap takes moments, so the daemon lets
it finish, records it, and then stops, rather than leaving it for the next start to undo."""

import asyncio
import subprocess
import sys
from pathlib import Path

import orjson

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.conftest import make_config, running_daemon
from tests.daemon_process import clean_environment


async def account_with_a_backup(data_dir: Path) -> int:
    """The account "main", with a backup made while its marker said "backed up"; the id of the
    backup's server file."""
    async with running_daemon(make_config(data_dir)) as (_, client):
        await client.call("createAccount", "main")
        await client.call("setValue", "main", "marker", "backed up")
        record = await client.call("enqueueBackup", "main")
        await client.call("setValue", "main", "marker", "live")
        return int(record["id"])


def daemon_stopped_mid_swap(data_dir: Path) -> tuple["subprocess.Popen[str]", int]:
    """The daemon of ``tests.backup.stop_mid_swap``, and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.backup.stop_mid_swap", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    assert process.stdout is not None
    return process, orjson.loads(process.stdout.readline())["port"]


async def test_sigterm_during_a_restores_swap_lets_it_finish(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    backup = await account_with_a_backup(data_dir)
    process, port = daemon_stopped_mid_swap(data_dir)
    token = read_or_create_token(data_dir / "auth" / "token")
    try:
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            task_id = await client.call("enqueueRestore", "main", "user", {"id": backup})
            _, errors = await asyncio.to_thread(process.communicate, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    assert not (data_dir / "databases" / "main.restore.json").exists()
    async with running_daemon(make_config(data_dir)) as (_, client):
        assert await client.call("getValue", "main", "marker") == "backed up"
        task = await client.call("getServerTask", "main", task_id)
        assert (task["name"], task["status"]) == ("Restore account", "completed")
    assert "Stopping once the restore of main has swapped its files (at most 60 s)" in errors
    assert "The restore of main has ended; stopping" in errors
