"""Tasks over RPC: the test task, progress, listing with frontend SQL, logs, the queue."""

import asyncio
import time
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.conftest import client_of_daemon_with_sql_budget

ENDLESS_QUERY = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
)


async def wait_until_done(client: DaemonClient, task_id: int) -> dict[str, object]:
    for _ in range(300):
        task = await client.call("getServerTask", "main", task_id)
        if task and task["status"] in ("completed", "failed", "aborted", "cancelled"):
            return dict(task)
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish")


async def test_sleep_task_reports_progress_and_completes(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    lines: list[str] = []
    done: list[object] = []
    task_id = await client.call("enqueueSleep", "main", 0.3, 0.1, False, done.append)
    await client.call("subscribeToServerTaskProgress", "main", task_id, lines.append)
    task = await wait_until_done(client, task_id)
    assert task["name"] == "Sleep" and task["status"] == "completed"
    assert task["priority"] == 9 and task["determinate"] == 1 and task["trigger"] == "user"
    log = await client.call("getServerTaskLog", "main", task_id)
    assert [line[25:] for line in log.splitlines()] == [
        '[null,"Starting task"]',
        '[33.333333333333336,"Slept for 0.1 seconds"]',
        '[66.66666666666667,"Slept for 0.2 seconds"]',
        '[100.0,"Slept for 0.3 seconds"]',
    ]
    await client.call("ping")
    assert done == [None]
    assert all(line.endswith("\n") for line in lines)


async def test_listing_with_frontend_sql_and_counting(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    first = await client.call("enqueueSleep", "main", 0.05, 0.05)
    await wait_until_done(client, first)
    assert [task["id"] for task in await client.call("getServerTasks", "main")] == [first]
    query = "SELECT * FROM server_tasks WHERE name = ? ORDER BY id DESC LIMIT 100"
    assert len(await client.call("getServerTasks", "main", query, ["Sleep"])) == 1
    assert await client.call("countServerTasks", "main") == 1
    assert await client.call("getTriggers", "main") == ["user"]
    triggers = "SELECT DISTINCT trigger FROM server_tasks WHERE name = ? ORDER BY trigger"
    assert await client.call("getTriggers", "main", triggers, ["Sleep"]) == ["user"]
    assert await client.call("getTriggers", "main", triggers, ["Nothing"]) == []


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM server_tasks",
        "UPDATE server_tasks SET status = 'x'",
        "SELECT 1; DELETE FROM server_tasks",
        "ATTACH DATABASE '/tmp/x.sqlite' AS x",
        "PRAGMA journal_mode = DELETE",
        "SELECT load_extension('x')",
    ],
)
async def test_frontend_sql_cannot_write(client: DaemonClient, daemon: Daemon, query: str) -> None:
    await client.call("createAccount", "main")
    task_id = await client.call("enqueueSleep", "main", 0.05, 0.05)
    await wait_until_done(client, task_id)
    before = await daemon.accounts.get("main").fetch_all("SELECT * FROM server_tasks")
    with pytest.raises(RpcCallError) as caught:
        await client.call("getServerTasks", "main", query)
    assert caught.value.code == -32602
    with pytest.raises(RpcCallError) as caught:
        await client.call("getTriggers", "main", query)
    assert caught.value.code == -32602
    assert await daemon.accounts.get("main").fetch_all("SELECT * FROM server_tasks") == before


async def test_a_runaway_frontend_query_is_stopped_by_the_time_budget(tmp_path: Path) -> None:
    async with client_of_daemon_with_sql_budget(tmp_path, 0.2) as client:
        with pytest.raises(RpcCallError) as caught:
            await client.call("getServerTasks", "main", ENDLESS_QUERY)
        assert (caught.value.code, caught.value.message) == (
            -32004,
            "Query took longer than 0.2 s and was stopped",
        )
        assert await client.call("ping") == "pong"


async def test_cancel_over_rpc_and_the_queue_snapshot(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    running = await client.call("enqueueSleep", "main", 30, 0.05)
    for _ in range(100):
        snapshot = await client.call("getTaskQueue", "main")
        if snapshot["running"]:
            break
        await asyncio.sleep(0.02)
    assert snapshot["running"]["id"] == running
    await client.call("cancelTask", "main", running)
    task = await wait_until_done(client, running)
    assert (task["status"], task["errorMessage"]) == ("aborted", "Task aborted by user.")
    with pytest.raises(RpcCallError) as caught:
        await client.call("cancelTask", "main", 999)
    assert (caught.value.code, caught.value.message) == (-32002, "Task with id 999 not found.")
    with pytest.raises(RpcCallError) as caught:
        await client.call("cancelTask", "main", running)
    assert (caught.value.code, caught.value.message) == (
        -32002,
        f"Task with id {running} has already ended (aborted).",
    )


async def test_ping_stays_fast_while_a_cpu_heavy_task_runs(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    task_id = await client.call("enqueueSleep", "main", 1.5, 0.5, True)
    for _ in range(200):
        if (await client.call("getServerTask", "main", task_id))["status"] == "running":
            break
        await asyncio.sleep(0.01)
    latencies = []
    for _ in range(60):
        started = time.perf_counter()
        await client.call("ping")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
    assert max(latencies) < 0.25, sorted(latencies)[-5:]
