"""A reset account announces itself without upsetting the listeners of its keyed channels."""

import logging

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.backup.helpers import download, restore_over_rpc, upload
from tests.relayer.test_tasks_api import wait_until_done


def listener_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and "listener" in record.getMessage()
    ]


async def test_a_reset_leaves_task_progress_and_key_subscribers_quiet(
    client: DaemonClient, caplog: pytest.LogCaptureFixture
) -> None:
    await client.call("createAccount", "main")
    task_id = await client.call("enqueueSleep", "main", 0.05, 0.05)
    await wait_until_done(client, task_id)
    lines: list[object] = []
    values: list[object] = []
    progress = await client.call("subscribeToServerTaskProgress", "main", task_id, lines.append)
    value = await client.call("subscribeToKV", "main", "networthCursor", values.append)
    tasks_changed: list[object] = []
    await client.call("subscribeToServerTasks", "main", tasks_changed.append)

    with caplog.at_level(logging.ERROR):
        await client.call("resetAccount", "main")
        await client.call("ping")

    assert listener_failures(caplog) == []
    assert (lines, values) == ([], [])
    assert tasks_changed == ["reset"]
    await client.call("unsubscribe", progress)
    await client.call("unsubscribe", value)


async def test_a_restore_leaves_task_progress_and_key_subscribers_quiet(
    client: DaemonClient, daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    await client.call("createAccount", "main")
    backup = await client.call("enqueueBackup", "main")
    uploaded = await upload(client, daemon, "main", await download(daemon, "main", backup["id"]))
    lines: list[object] = []
    values: list[object] = []
    await client.call("subscribeToServerTaskProgress", "main", 1, lines.append)
    await client.call("subscribeToKV", "main", "networthCursor", values.append)

    with caplog.at_level(logging.ERROR):
        assert await restore_over_rpc(client, "main", uploaded) is None
        await client.call("ping")

    assert listener_failures(caplog) == []
    assert (lines, values) == ([], [])
