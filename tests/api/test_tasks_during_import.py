"""A task queued while an import of the same account holds its writer (its one transaction) gets
its id at once, is listed queued at once, and runs after the import, its row written; it can be
cancelled meanwhile; a stop or a kill meanwhile leaves what restart recovery makes of any task
that was queued (decision 0018).

The writer is held inside the import's transaction, at the statement that saves the file
import, until the test lets it go: each call is asserted to have answered while it was held."""

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.api.importing import upload, wait_for_task
from tests.api.serve_with_import_held import MARKER
from tests.api.test_import_errors import GOOD_ROW, statement
from tests.conftest import make_config, offline_daemon, running_daemon, ws_url
from tests.daemon_process import clean_environment
from tests.writer_hold import GUARD_SECONDS, writer_held

SAVING = "INSERT INTO file_imports"
ROWS = (
    GOOD_ROW,
    '"1","2021-03-02 10:00:00","Spot","Buy","ETH","2",""',
    '"1","2021-03-02 10:00:00","Spot","Sell","BTC","-0.1",""',
)


async def import_started(daemon: Daemon, client: DaemonClient) -> int:
    """Upload a statement and queue its import; returns the import's task id."""
    record = await upload(daemon, client, "statement.csv", statement(*ROWS))
    return int(await client.call("enqueueImportFile", "main", "user", record["id"], {}, None))


def shown(task: dict[str, Any] | None) -> tuple[Any, ...]:
    assert task is not None
    return task["name"], task["status"], task.get("errorMessage")


async def test_a_task_queued_during_an_import_is_listed_at_once_and_runs_after_it(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    async with writer_held(daemon, "main", SAVING) as hold:
        import_id = await import_started(daemon, client)
        await hold.reached()
        task_id = await client.call("enqueueRefreshBalances", "main", "user")
        listed = await client.call("getServerTasks", "main")
        own_sql = await client.call(
            "getServerTasks", "main", "SELECT * FROM server_tasks WHERE id = ?", [task_id]
        )
        counted = await client.call(
            "countServerTasks", "main", "SELECT COUNT(*) FROM server_tasks WHERE id = ?", [task_id]
        )
        one = await client.call("getServerTask", "main", task_id)
        queue = await client.call("getTaskQueue", "main")
        answered_while_held = hold.holding

    assert answered_while_held
    assert task_id > import_id
    assert [(task["id"], task["status"]) for task in listed[:2]] == [
        (task_id, "queued"),
        (import_id, "running"),
    ]
    assert [shown(task) for task in own_sql] == [("Refresh balances", "queued", None)]
    assert counted == 1
    assert one == listed[0]
    assert (queue["running"]["id"], [task["id"] for task in queue["queued"]]) == (
        import_id,
        [task_id],
    )
    assert (await wait_for_task(client, import_id))["status"] == "completed"
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    row = await daemon.accounts.get("main").fetch_one(
        "SELECT name, status, trigger, createdAt FROM server_tasks WHERE id = ?", (task_id,)
    )
    assert row == ("Refresh balances", "completed", "user", one["createdAt"])


async def test_a_task_queued_during_an_import_can_be_cancelled_at_once(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    async with writer_held(daemon, "main", SAVING) as hold:
        import_id = await import_started(daemon, client)
        await hold.reached()
        task_id = await client.call("enqueueFetchPrices", "main", "user")
        await client.call("cancelTask", "main", task_id)
        cancelled = await client.call("getServerTask", "main", task_id)
        try:
            await client.call("cancelTask", "main", task_id)
        except RpcCallError as error:
            again = str(error)
        answered_while_held = hold.holding

    assert answered_while_held
    assert shown(cancelled) == ("Fetch asset prices", "cancelled", "Task cancelled by user.")
    assert f"Task with id {task_id} has already ended (cancelled)." in again
    assert (await wait_for_task(client, import_id))["status"] == "completed"
    row = await daemon.accounts.get("main").fetch_one(
        "SELECT name, status, errorMessage, startedAt FROM server_tasks WHERE id = ?", (task_id,)
    )
    assert row == ("Fetch asset prices", "cancelled", "Task cancelled by user.", None)
    try:
        await client.call("getServerTaskLog", "main", task_id)
    except RpcCallError as error:
        assert f"Task {task_id} has no log (it never started)" in str(error)
    else:
        raise AssertionError("a task cancelled before it ran has a log")


async def test_a_stop_during_the_import_leaves_the_task_for_restart_recovery(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "data")
    daemon = offline_daemon(config)
    await daemon.start()
    token = daemon.credentials.desktop_token()
    client = await DaemonClient.connect(ws_url(daemon), token=token)
    await client.call("createAccount", "main")
    async with writer_held(daemon, "main", SAVING) as hold:
        await import_started(daemon, client)
        await hold.reached()
        # After the import, the sleep runs first (it comes first) and the stop cuts it off:
        # the task after it is still queued when the daemon stops, whenever the stop begins.
        await client.call("enqueueSleep", "main", 3600)
        task_id = await client.call("enqueueRecomputeNetworth", "main", "user")
        answered_while_held = hold.holding
        await client.close()
        stopping = asyncio.create_task(daemon.stop())
    await stopping

    assert answered_while_held
    async with running_daemon(config) as (_, again):
        task = await again.call("getServerTask", "main", task_id)
        assert shown(task) == ("Recompute networth", "cancelled", "Server restarted.")
        assert await again.call("enqueueRecomputeNetworth", "main", "user") > task_id


async def test_a_reset_during_the_import_gives_no_task_id_again(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    closing = asyncio.Event()
    await client.call(
        "subscribeToAccounts", lambda event, *_: closing.set() if event == "deleted" else None
    )
    async with writer_held(daemon, "main", SAVING) as hold:
        await import_started(daemon, client)
        await hold.reached()
        task_id = await client.call("enqueueRefreshBalances", "main", "user")
        resetting = asyncio.create_task(client.call("resetAccount", "main"))
        await closing.wait()  # the reset has read the ids the account gave
        answered_while_held = hold.holding
    await resetting

    assert answered_while_held
    assert await client.call("enqueueRefreshBalances", "main", "user") > task_id


async def test_a_kill_during_the_import_leaves_the_task_for_restart_recovery(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    process, port = daemon_holding_imports(data_dir)
    try:
        token = read_or_create_token(data_dir / "auth" / "token")
        async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
            task_id = await queued_with_the_import_held(client, port, data_dir)
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.communicate, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    async with running_daemon(make_config(data_dir)) as (_, client):
        task = await client.call("getServerTask", "main", task_id)
        assert shown(task) == ("Refresh balances", "cancelled", "Server restarted.")
        assert await client.call("enqueueRefreshBalances", "main", "user") > task_id
    assert not (data_dir / "logs" / "main" / "unwritten_tasks.jsonl").exists()


def daemon_holding_imports(data_dir: Path) -> tuple["subprocess.Popen[str]", int]:
    """The daemon of ``tests.api.serve_with_import_held``, and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.api.serve_with_import_held", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    assert process.stdout is not None
    return process, orjson.loads(process.stdout.readline())["port"]


async def queued_with_the_import_held(client: DaemonClient, port: int, data_dir: Path) -> int:
    """Queue an import in the daemon of ``serve_with_import_held``, then, once its writer is
    held in the import's transaction (for good), a task; returns the task's id."""
    await client.call("createAccount", "main")
    record = await client.call(
        "upsertServerFile",
        "main",
        {
            "createdBy": "user",
            "metadata": {"lastModified": 0, "size": len(statement(*ROWS)), "type": "text/csv"},
            "name": "statement.csv",
            "status": "scheduled",
        },
    )
    await uploaded(port, data_dir, record["id"])
    await client.call("enqueueImportFile", "main", "user", record["id"], {}, None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD_SECONDS
    while not (data_dir / MARKER).exists():
        assert loop.time() < deadline, "the import never began its transaction"
        await asyncio.sleep(0.02)
    try:  # the writer is held for good: a wait for it would never end
        return int(
            await asyncio.wait_for(
                client.call("enqueueRefreshBalances", "main", "user"), GUARD_SECONDS
            )
        )
    except TimeoutError:
        raise AssertionError("the enqueue waited for the import's transaction") from None


async def uploaded(port: int, data_dir: Path, file_id: int) -> None:
    token = read_or_create_token(data_dir / "auth" / "token")
    data = aiohttp.FormData()
    data.add_field("accountName", "main")
    data.add_field("fileId", str(file_id))
    data.add_field("file", statement(*ROWS), filename="statement.csv", content_type="text/csv")
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session,
        session.post(f"http://127.0.0.1:{port}/upload", data=data) as response,
    ):
        assert response.status == 200, await response.text()
