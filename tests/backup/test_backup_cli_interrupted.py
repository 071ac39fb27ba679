"""Ctrl-C during ``privatefolio-daemon backup`` through a running daemon cancels the daemon's
backup task: no zip is written, and none stays in the data dir."""

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from tests.backup.test_backup_cli import make_account
from tests.backup.test_restore_cli_interrupted import connected, ctrl_c_as_in_a_terminal
from tests.daemon_process import clean_environment, running_daemon


def start_backup(data_dir: Path, port: str, output: Path) -> "subprocess.Popen[bytes]":
    command = [sys.executable, "-m", "privatefolio_daemon", "backup", "main", "-o", str(output)]
    return subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "--port", port],
        stderr=subprocess.PIPE,
        env=clean_environment(),
        preexec_fn=ctrl_c_as_in_a_terminal,
    )


def ctrl_c(process: "subprocess.Popen[bytes]") -> tuple[int, str]:
    assert process.stderr is not None
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read().decode()
    return process.wait(timeout=60), stderr


async def backup_queued(client: DaemonClient) -> bool:
    queued = (await client.call("getTaskQueue", "main"))["queued"]
    return [task["name"] for task in queued] == ["Backup"]


def stopped(process: "subprocess.Popen[bytes]") -> None:
    """No process outlives the test (a zombie would confuse tests that look at children)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    if process.stderr is not None:
        process.stderr.close()


def names_in(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@contextlib.asynccontextmanager
async def busy_daemon(data_dir: Path) -> AsyncIterator[tuple[str, DaemonClient, int]]:
    """A daemon on ``data_dir`` (the account "main") whose queue a 10-minute task holds: its
    port, a client, and that task's id."""
    await make_account(data_dir, 50, seed=1)
    with running_daemon(data_dir, "--no-crons") as (_, ready):
        port = str(ready["port"])
        async with connected(data_dir, port) as client:
            yield port, client, await client.call("enqueueSleep", "main", 600)


async def test_ctrl_c_cancels_the_daemons_backup_task(tmp_path: Path) -> None:
    """The backup waits behind a running task, so Ctrl-C finds it queued."""
    data_dir, output = tmp_path / "data", tmp_path / "main.zip"
    async with busy_daemon(data_dir) as (port, client, sleeping):
        changed = asyncio.Event()
        await client.call("subscribeToServerTasks", "main", lambda *_: changed.set())
        process = start_backup(data_dir, port, output)
        try:
            async with asyncio.timeout(60):
                while not await backup_queued(client):
                    await changed.wait()
                    changed.clear()
            code, stderr = ctrl_c(process)
        finally:
            stopped(process)

        queue = await client.call("getTaskQueue", "main")
        assert (queue["running"]["id"], queue["queued"]) == (sleeping, [])
        await client.call("cancelTask", "main", sleeping)
        assert await client.call("getServerFiles", "main") == []
    assert code == 130, stderr
    assert stderr.endswith("privatefolio-daemon: Interrupted.\n")
    assert "Traceback" not in stderr
    assert names_in(tmp_path) == ["data"]  # no zip, and no part of one
