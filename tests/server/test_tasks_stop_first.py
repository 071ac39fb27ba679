"""Stopping stops the tasks first: a call in flight that waits for a task (an export) does not
keep the queues going through the shutdown grace, so no queued task starts once the daemon was
told to stop."""

import asyncio
import contextlib
from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from tests.conftest import make_config, offline_daemon, running_daemon, ws_url


async def test_no_task_runs_on_while_a_call_waits_out_the_grace(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    daemon = offline_daemon(config)
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    await client.call("createAccount", "main")
    running = await client.call("enqueueSleep", "main", 1.0, 0.1)
    queued = await client.call("enqueueSleep", "main", 0.1, 0.1, True)  # another name: not merged
    for _ in range(200):
        if (await client.call("getServerTask", "main", running))["status"] == "running":
            break
        await asyncio.sleep(0.01)
    export = asyncio.create_task(client.call("enqueueExportTransactions", "main", "user"))
    await asyncio.sleep(0.2)

    await daemon.stop()
    with contextlib.suppress(Exception):
        await export
    await client.close()

    async with running_daemon(config) as (_, again):
        tasks = {task["id"]: task for task in await again.call("getServerTasks", "main")}
    assert (tasks[running]["status"], tasks[running]["errorMessage"]) == (
        "aborted",
        "Server shutting down.",
    )
    assert tasks[queued]["status"] == "cancelled"
