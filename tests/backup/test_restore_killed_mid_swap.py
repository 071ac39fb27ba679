"""A daemon killed while a restore swaps the account's files: the next start rolls the restore
back, or finishes it once committed, and the id ``enqueueRestore`` returned still names its
"Restore account" task in the account the user ends up with."""

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import download, upload
from tests.conftest import make_config, running_daemon
from tests.daemon_process import clean_environment


async def main_with_a_backup_of_other(data_dir: Path) -> dict[str, Any]:
    """The account "main" (marker "live", no task yet), and, uploaded to it, a backup of the
    account "other" (marker "backed up"), whose "Backup" task has the id 1; returns the upload."""
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "main")
        await client.call("setValue", "main", "marker", "live")
        await client.call("createAccount", "other")
        await client.call("setValue", "other", "marker", "backed up")
        record = await client.call("enqueueBackup", "other")
        content = await download(daemon, "other", record["id"])
        return await upload(client, daemon, "main", content)


def daemon_killed_after(data_dir: Path, step: str) -> tuple["subprocess.Popen[str]", int]:
    """The daemon of ``tests.backup.kill_mid_swap``, and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.backup.kill_mid_swap", str(data_dir), step],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    assert process.stdout is not None
    return process, orjson.loads(process.stdout.readline())["port"]


async def restore_killed_after(data_dir: Path, step: str, backup: dict[str, Any]) -> int:
    """``enqueueRestore`` in a daemon SIGKILLed right after the swap's ``step``; its task id."""
    process, port = daemon_killed_after(data_dir, step)
    try:
        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            task_id = int(await client.call("enqueueRestore", "main", "user", backup))
            _, errors = await asyncio.to_thread(process.communicate, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -9, errors
    # Its journal goes once the swap is done ("cleaned"), the row written before.
    assert (data_dir / "databases" / "main.restore.json").exists() == (step != "cleaned")
    return task_id


def listed(tasks: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((t["id"], t["name"], t["status"], t.get("errorMessage")) for t in tasks)


@pytest.mark.parametrize("step", ["closed", "moved-new-database", "moved-new-logs", "reopened"])
async def test_a_restore_rolled_back_after_a_kill_lists_its_task_aborted(
    tmp_path: Path, step: str
) -> None:
    data_dir = tmp_path / "data"
    backup = await main_with_a_backup_of_other(data_dir)
    task_id = await restore_killed_after(data_dir, step, backup)
    async with running_daemon(make_config(data_dir)) as (_, client):
        assert await client.call("getValue", "main", "marker") == "live"
        tasks = await client.call("getServerTasks", "main")
        assert listed(tasks) == [(task_id, "Restore account", "aborted", "Server restarted.")]
        task = await client.call("getServerTask", "main", task_id)
        assert task["description"] == 'Restore the account from "backup.zip"'


@pytest.mark.parametrize("step", ["committed", "cleaned"])
async def test_a_restore_committed_before_a_kill_lists_its_task_completed(
    tmp_path: Path, step: str
) -> None:
    data_dir = tmp_path / "data"
    backup = await main_with_a_backup_of_other(data_dir)
    task_id = await restore_killed_after(data_dir, step, backup)
    assert task_id == 1  # the id of the backup's own "Backup" task, which moves aside
    async with running_daemon(make_config(data_dir)) as (_, client):
        assert await client.call("getValue", "main", "marker") == "backed up"
        tasks = await client.call("getServerTasks", "main")
        assert listed(tasks) == [
            (1, "Restore account", "completed", None),
            (2, "Backup", "completed", None),
        ]
