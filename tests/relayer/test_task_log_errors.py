"""getServerTaskLog tells a task that does not exist from one that never started."""

import asyncio

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError


async def log_error(client: DaemonClient, task_id: int) -> tuple[int | None, str]:
    with pytest.raises(RpcCallError) as caught:
        await client.call("getServerTaskLog", "main", task_id)
    return caught.value.code, caught.value.message


async def until_status(client: DaemonClient, task_id: int, status: str) -> None:
    for _ in range(250):
        if (await client.call("getServerTask", "main", task_id))["status"] == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} is not {status}")


async def test_the_log_of_a_task_that_does_not_exist(client: DaemonClient) -> None:
    await client.call("createAccount", "main")

    assert await log_error(client, 9999) == (-32002, "Task 9999 does not exist")


async def test_the_log_of_a_task_cancelled_before_it_started(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    running = await client.call("enqueueSleep", "main", 30, 0.05)
    await until_status(client, running, "running")
    queued = await client.call("enqueueSleep", "main", 30, 0.05)
    await client.call("cancelTask", "main", queued)
    await client.call("cancelTask", "main", running)
    await until_status(client, running, "aborted")

    assert (await client.call("getServerTask", "main", queued))["status"] == "cancelled"
    assert await log_error(client, queued) == (
        -32002,
        f"Task {queued} has no log (it never started)",
    )
