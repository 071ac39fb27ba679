"""A sync, a reset or a removal cancelled while it writes: either nothing was written and the task
reads aborted, or all of it was and the task completes, its events sent and the balances
following. Never the work done under "aborted" with no one told."""

import asyncio
from decimal import Decimal
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import ledger_digest, wait_for_task
from tests.connections.binance_scene import (
    API_KEY,
    CONNECTION_ID,
    DEPOSIT_AT,
    BinanceScene,
    expected_logs,
    new_connection,
)
from tests.connections.helpers import (
    ACCOUNT,
    connection_of,
    cursor_of,
    latest_daily_balances,
    log_summaries,
    logs_of,
    side_effects_done,
    sync,
    transactions_of,
)
from tests.writer_trap import cancel_on_writer

ABORTED = ("aborted", "Task aborted by user.")
COMPLETED = ("completed", None)
EMPTY_META = {
    "assetIds": [],
    "logs": 0,
    "operations": [],
    "rows": 0,
    "transactions": 0,
    "wallets": [],
}


def exchange_balances(binance: BinanceScene) -> dict[str, Decimal]:
    held = binance.standin.accounts[API_KEY].balances
    return {
        f"ex.binance:{code}": Decimal(free) + Decimal(locked)
        for code, (free, locked) in held.items()
    }


async def daily_balances(
    client: DaemonClient, daemon: Daemon, after_task: int
) -> dict[str, Decimal]:
    daily = await latest_daily_balances(client, daemon, after_task)
    return {asset: Decimal(value) for asset, value in daily.items()}


async def cancelled(
    daemon: Daemon, client: DaemonClient, method: str, *, after: str, at: str
) -> dict[str, Any]:
    """Run ``method`` on the connection, cancelled at the writer's statement ``at`` (after one
    holding ``after``); returns its task row once it has ended."""
    async with cancel_on_writer(daemon, client, ACCOUNT, after=after, at=at) as trap:
        task_id = await client.call(method, ACCOUNT, "user", CONNECTION_ID)
        task = await wait_for_task(client, task_id)
    assert trap.cancelled == task_id
    return task


async def synced(client: DaemonClient, binance: BinanceScene, daemon: Daemon) -> None:
    """The connection synced, and the side effects of its sync done."""
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    task = await sync(client, CONNECTION_ID)
    assert await daily_balances(client, daemon, task["id"]) == exchange_balances(binance)
    await side_effects_done(client, task["id"])


async def until_balances_cleared(client: DaemonClient, events: list[Any]) -> None:
    """Wait for the balances from the removed logs' first day to be deleted (announced with no
    arguments, as the balances channel's events are; the refresh that follows comes later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while () not in events:
        assert loop.time() < deadline, "the balances were never invalidated"
        await asyncio.sleep(0.02)


async def test_a_sync_cancelled_as_it_commits_completes_with_its_events_and_balances(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", ACCOUNT, lambda *args: events.append(args))
    await client.call("subscribeToConnections", ACCOUNT, lambda *args: events.append(args))

    task = await cancelled(
        daemon, client, "enqueueSyncConnection", after="INTO audit_logs", at="COMMIT"
    )

    assert (task["status"], task.get("errorMessage")) == COMPLETED
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert ("created", DEPOSIT_AT, None) in events
    assert ("created", await connection_of(client, CONNECTION_ID)) in events
    assert await daily_balances(client, daemon, task["id"]) == exchange_balances(binance)


async def test_a_sync_cancelled_while_it_saves_saves_nothing_and_the_next_reads_it_all(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    before = await ledger_digest(daemon)

    task = await cancelled(
        daemon, client, "enqueueSyncConnection", after="INTO audit_logs", at="INSERT"
    )

    assert (task["status"], task.get("errorMessage")) == ABORTED
    assert await ledger_digest(daemon) == before
    assert await cursor_of(client, CONNECTION_ID) == 0
    assert "meta" not in await connection_of(client, CONNECTION_ID)
    again = await sync(client, CONNECTION_ID)
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert await daily_balances(client, daemon, again["id"]) == exchange_balances(binance)


async def test_a_removal_cancelled_as_it_commits_completes_and_the_balances_go(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await synced(client, binance, daemon)
    record = await connection_of(client, CONNECTION_ID)
    events: list[tuple[Any, ...]] = []
    balance_events: list[tuple[Any, ...]] = []
    await client.call("subscribeToConnections", ACCOUNT, lambda *args: events.append(args))
    await client.call("subscribeToBalances", ACCOUNT, lambda *args: balance_events.append(args))

    task = await cancelled(
        daemon, client, "enqueueDeleteConnection", after="DELETE FROM connections", at="COMMIT"
    )

    assert (task["status"], task.get("errorMessage")) == COMPLETED
    assert await client.call("getConnections", ACCOUNT) == []
    assert await logs_of(client, CONNECTION_ID) == []
    assert await transactions_of(client, CONNECTION_ID) == []
    assert events == [("deleted", record | {"meta": EMPTY_META})]
    await until_balances_cleared(client, balance_events)
    assert await client.call("getBalancesAt", ACCOUNT) == []


async def test_a_removal_cancelled_before_it_commits_removes_nothing(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await synced(client, binance, daemon)
    before = await ledger_digest(daemon)
    balances = await client.call("getBalancesAt", ACCOUNT)

    task = await cancelled(
        daemon,
        client,
        "enqueueDeleteConnection",
        after="DELETE FROM connections",
        at="DELETE FROM key_value",
    )

    assert (task["status"], task.get("errorMessage")) == ABORTED
    assert await ledger_digest(daemon) == before
    assert [found["id"] for found in await client.call("getConnections", ACCOUNT)] == [
        CONNECTION_ID
    ]
    assert await client.call("getBalancesAt", ACCOUNT) == balances


async def test_a_reset_cancelled_as_it_commits_completes_with_its_events(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await synced(client, binance, daemon)
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", ACCOUNT, lambda *args: events.append(args))
    await client.call("subscribeToConnections", ACCOUNT, lambda *args: events.append(args))

    task = await cancelled(
        daemon, client, "enqueueResetConnection", after="INTO connections", at="COMMIT"
    )

    assert (task["status"], task.get("errorMessage")) == COMPLETED
    assert await logs_of(client, CONNECTION_ID) == []
    reset = await connection_of(client, CONNECTION_ID)
    assert reset["meta"] == EMPTY_META
    assert events == [("deleted", DEPOSIT_AT, None), ("created", reset)]
    assert await cursor_of(client, CONNECTION_ID) == 0
