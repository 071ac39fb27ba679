"""Notifications: a task the daemon started itself that fails leaves one; the user's own failed
tasks do not (the user saw them fail). Reading, counting and marking them read or archived."""

import asyncio
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.derived_steps import Cancel, Progress
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from tests.api.importing import wait_for_task


async def failing(progress: Progress, cancel: Cancel) -> None:
    raise RuntimeError("the price API is down")


async def run_failing_task(
    daemon: Daemon, client: DaemonClient, trigger: Trigger, name: str = "Fetch asset prices"
) -> int:
    spec = TaskSpec(name, "test", Priority.LOW, failing, trigger=trigger)
    task_id = await daemon.relayer.enqueue("main", spec)
    assert (await wait_for_task(client, task_id))["status"] == "failed"
    return task_id


async def test_a_failed_background_task_leaves_a_notification(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    events: list[Any] = []
    await client.call("subscribeToNotifications", "main", lambda *args: events.append(args))
    before = now_ms() // 1000

    await run_failing_task(daemon, client, "user")
    task_id = await run_failing_task(daemon, client, "cron")

    [notification] = await client.call("getNotifications", "main")
    assert before <= notification.pop("createdAt") <= now_ms() // 1000
    assert notification == {
        "id": 1,
        "title": "Fetch asset prices failed",
        "text": "Error: the price API is down",
        "status": 0,
        "metadata": {"taskId": task_id, "trigger": "cron"},
    }
    for _ in range(50):
        if events:
            break
        await asyncio.sleep(0.02)
    assert events == [("created",)]
    unread = "SELECT COUNT(*) FROM notifications WHERE status = 0"
    assert await client.call("countNotifications", "main", unread) == 1


async def test_a_task_started_for_a_new_account_or_at_start_that_fails_leaves_one_too(
    daemon: Daemon, client: DaemonClient
) -> None:
    """Such as the coin-list download of a new account on a machine that is offline."""
    await client.call("createAccount", "main")
    task_id = await run_failing_task(daemon, client, "system", "Refetch assets")
    [notification] = await client.call("getNotifications", "main")
    assert (notification["title"], notification["metadata"]) == (
        "Refetch assets failed",
        {"taskId": task_id, "trigger": "system"},
    )


async def test_marking_notifications_read_and_archived(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    await run_failing_task(daemon, client, "cron", "Fetch asset prices")
    await run_failing_task(daemon, client, "side-effect", "Refresh trades")
    await run_failing_task(daemon, client, "cron", "Refetch assets")

    await client.call("patchNotification", "main", 2, {"status": 1})
    await client.call("patchNotifications", "main", [1, 3], {"status": 2})

    notifications = await client.call("getNotifications", "main")
    assert sorted((n["id"], n["status"]) for n in notifications) == [(1, 2), (2, 1), (3, 2)]
    unread = "SELECT COUNT(*) FROM notifications WHERE status = 0"
    assert await client.call("countNotifications", "main", unread) == 0
    assert await client.call("countNotifications", "main") == 3


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({}, "The patch changes nothing: give title, text, status or metadata"),
        ({"status": 5}, "Invalid params: 'patch'.status must be one of 0, 1, 2"),
    ],
)
async def test_a_bad_patch_is_refused(
    client: DaemonClient, patch: dict[str, Any], message: str
) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchNotification", "main", 1, patch)
    assert (caught.value.code, caught.value.message) == (-32602, message)


async def test_a_task_that_keeps_failing_keeps_one_unread_notification(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    await run_failing_task(daemon, client, "cron")
    latest = await run_failing_task(daemon, client, "cron")

    [notification] = await client.call("getNotifications", "main")
    assert (notification["id"], notification["metadata"]["taskId"]) == (1, latest)

    await client.call("patchNotification", "main", 1, {"status": 1})
    await run_failing_task(daemon, client, "cron")
    assert [n["id"] for n in await client.call("getNotifications", "main")] == [2, 1]
