"""What the connection tests share: syncing through the daemon, and reading what it wrote."""

import asyncio
from typing import Any

import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import wait_for_task

ACCOUNT = "main"
LOG_ORDER = "ORDER BY timestamp ASC, changeN ASC, id ASC"


async def sync(client: DaemonClient, connection_id: str) -> dict[str, Any]:
    """Run "Sync connection #<n>" to its end; returns the task row.

    Its audit-log event starts the side-effect chain 1.5 s later (spam, auto-merge, balances…),
    which may merge EVM transactions and re-point their logs' ``txId``."""
    task_id = await client.call("enqueueSyncConnection", ACCOUNT, "user", connection_id)
    return await wait_for_task(client, task_id)


async def logs_of(client: DaemonClient, connection_id: str) -> list[dict[str, Any]]:
    sql = f"SELECT * FROM audit_logs WHERE connectionId = ? {LOG_ORDER}"
    logs: list[dict[str, Any]] = await client.call("getAuditLogs", ACCOUNT, sql, [connection_id])
    return logs


async def transactions_of(client: DaemonClient, connection_id: str) -> list[dict[str, Any]]:
    sql = "SELECT * FROM transactions WHERE connectionId = ? ORDER BY timestamp ASC, id ASC"
    rows: list[dict[str, Any]] = await client.call("getTransactions", ACCOUNT, sql, [connection_id])
    return rows


async def cursor_of(client: DaemonClient, connection_id: str) -> Any:
    return await client.call("getValue", ACCOUNT, f"connection_cursor_{connection_id}")


async def connection_of(client: DaemonClient, connection_id: str) -> dict[str, Any]:
    record: dict[str, Any] = await client.call("getConnection", ACCOUNT, connection_id)
    return record


async def task_log(client: DaemonClient, task_id: int) -> list[str]:
    """The task's progress messages, without their times."""
    text: str = await client.call("getServerTaskLog", ACCOUNT, task_id)
    return [line[25:] for line in text.splitlines()]


async def latest_daily_balances(
    client: DaemonClient, daemon: Daemon, after_task: int, timeout: float = 30
) -> dict[str, str]:
    """Wait for the side-effect chain's "Refresh balances" queued after ``after_task`` (a sync),
    then return the last daily row's ``{assetId: total}``."""
    sql = (
        "SELECT * FROM server_tasks WHERE name = 'Refresh balances' AND trigger = 'side-effect' "
        "AND id > ? AND status IN ('completed', 'failed') ORDER BY id DESC"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (tasks := await client.call("getServerTasks", ACCOUNT, sql, [after_task])):
        assert loop.time() < deadline, "the side effects did not refresh the balances"
        await asyncio.sleep(0.05)
    assert tasks[0]["status"] == "completed", tasks[0]
    row = await daemon.accounts.get(ACCOUNT).fetch_one(
        "SELECT data FROM balances ORDER BY timestamp DESC LIMIT 1"
    )
    assert row is not None
    data: dict[str, str] = orjson.loads(row[0])
    return data


async def side_effects_done(client: DaemonClient, after_task: int, timeout: float = 60) -> None:
    """Wait until the side-effect chain queued after ``after_task`` merged the transactions and
    refreshed the balances, and no task is left queued or running."""
    merged = (
        "SELECT * FROM server_tasks WHERE name = 'Auto-merge transactions' "
        "AND trigger = 'side-effect' AND id > ? AND status IN ('completed', 'failed')"
    )
    busy = "SELECT * FROM server_tasks WHERE status IN ('queued', 'running')"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await client.call("getServerTasks", ACCOUNT, merged, [after_task]) or (
        await client.call("getServerTasks", ACCOUNT, busy)
    ):
        assert loop.time() < deadline, "the side effects did not end"
        await asyncio.sleep(0.05)


async def ledger_rows(daemon: Daemon) -> list[Any]:
    """Every audit log and transaction, as stored."""
    db = daemon.accounts.get(ACCOUNT)
    logs = await db.fetch_all("SELECT * FROM audit_logs ORDER BY id")
    transactions = await db.fetch_all("SELECT * FROM transactions ORDER BY id")
    return [*logs, *transactions]


def log_summaries(logs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``(id, assetId, change, operation, timestamp)`` of each audit log."""
    return [
        (log["id"], log["assetId"], log["change"], log["operation"], log["timestamp"])
        for log in logs
    ]
