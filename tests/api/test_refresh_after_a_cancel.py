"""A refresh of derived data that the user cancels while the ledger's change waits for it is
queued again once the queue has run what it held: the balances and the net worth come back
without waiting for the cron. It is queued again once per cancel, so a refresh that fails is not
queued over and over."""

import asyncio
from pathlib import Path
from typing import Any

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.api.importing import import_file, wait_for_task
from tests.api.test_derived_after_restart import (
    DEC_2017,
    derived,
    files,
    new_account,
    running,
    uninterrupted,
    wait_for_chain,
)

__all__ = ["files"]  # the fixture

REFRESH_CHAIN = ["Refresh balances", "Fetch asset prices", "Refresh networth", "Refresh trades"]


async def queued(client: DaemonClient, name: str, timeout: float = 10) -> int:
    """The id of the task ``name`` once it waits in the queue."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        waiting = (await client.call("getTaskQueue", "main"))["queued"]
        found = [task["id"] for task in waiting if task["name"] == name]
        if found:
            return int(found[0])
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} was not queued")


async def cancel_the_queued_refresh(client: DaemonClient) -> int:
    """While a task the user started runs, cancel the "Refresh balances" queued behind it, then
    stop that task too; returns the id of the cancelled refresh."""
    sleep = await client.call("enqueueSleep", "main", 600, 0.1)
    refresh = await queued(client, "Refresh balances")
    await client.call("cancelTask", "main", refresh)
    await client.call("cancelTask", "main", sleep)
    return refresh


async def a_deposit_announced(run: Any, change: str) -> None:
    """A new account whose ledger gets a deposit of ``change`` ETH, announced as a write of the
    ledger announces it: its refresh chain is queued."""
    await new_account(run.daemon, run.client)
    db = run.daemon.accounts.get("main")
    day = DEC_2017 + 3 * DAY_MS
    await db.execute(
        "INSERT INTO transactions (id, platformId, timestamp, type, wallet) "
        "VALUES ('t', 'ex.binance', ?, 'Deposit', 'Spot')",
        (day,),
    )
    await db.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet, txId) VALUES ('a', 'ex.binance:ETH', ?, 0, 'Deposit', "
        "'ex.binance', ?, 'Spot', 't')",
        (change, day),
    )
    run.daemon.events.emit("audit-logs", "deleted", day, None, account="main")


def names_and_triggers(tasks: list[dict[str, Any]], after: int) -> list[tuple[str, str]]:
    return [(task["name"], task["trigger"]) for task in tasks if task["id"] > after]


async def test_a_cancelled_refresh_is_queued_again_once_the_queue_has_run(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    early, late = files
    expected = await uninterrupted(tmp_path / "whole", files, remove=False)
    async with running(tmp_path / "cut") as run:
        await new_account(run.daemon, run.client)
        late_import = await import_file(run.daemon, run.client, "late.csv", late)
        await wait_for_chain(run.client, late_import["id"])
        early_import = await import_file(run.daemon, run.client, "early.csv", early)
        cancelled = await cancel_the_queued_refresh(run.client)

        again = await wait_for_chain(run.client, cancelled, trigger="system")

        assert [task["name"] for task in again] == REFRESH_CHAIN
        assert {task["status"] for task in again if task["name"] != "Fetch asset prices"} == {
            "completed"  # the prices are stored already: no provider is reachable
        }
        task = await run.client.call("getServerTask", "main", cancelled)
        assert (task["status"], task["errorMessage"]) == ("cancelled", "Task cancelled by user.")
        assert await derived(run.daemon, run.client) == expected
        assert await run.client.call("getNetworth", "main")
        assert await run.client.call("getBalancesAt", "main")
        # Queued again once, not after every task that follows.
        sleep = await run.client.call("enqueueSleep", "main", 0.05, 0.05)
        assert (await wait_for_task(run.client, sleep))["status"] == "completed"
        tasks = await run.client.call("getServerTasks", "main")
        assert names_and_triggers(list(reversed(tasks)), early_import["id"]) == [
            ("Sleep", "user"),
            ("Auto-merge transactions", "side-effect"),
            ("Detect spam transactions", "side-effect"),
            ("Refresh balances", "side-effect"),
            ("Fetch asset prices", "side-effect"),
            ("Refresh networth", "side-effect"),
            ("Refresh trades", "side-effect"),
            *((name, "system") for name in REFRESH_CHAIN),
            ("Sleep", "user"),
        ]


async def test_a_refresh_that_fails_after_a_cancel_is_queued_again_only_once(
    tmp_path: Path,
) -> None:
    async with running(tmp_path / "data") as run:
        # A log an old version stored: no balance can be computed from it.
        await a_deposit_announced(run, "abc")
        cancelled = await cancel_the_queued_refresh(run.client)

        again = await wait_for_chain(run.client, cancelled, trigger="system")
        sleep = await run.client.call("enqueueSleep", "main", 0.05, 0.05)
        assert (await wait_for_task(run.client, sleep))["status"] == "completed"

        assert (again[0]["name"], again[0]["status"]) == ("Refresh balances", "failed")
        tasks = await run.client.call("getServerTasks", "main")
        assert [
            name for name, trigger in names_and_triggers(tasks, cancelled) if trigger == "system"
        ].count("Refresh balances") == 1


async def test_a_refresh_cancelled_with_nothing_else_to_run_waits_for_the_next_task(
    tmp_path: Path,
) -> None:
    """The user's "not now": with the chain's refresh cancelled and nothing else left to run, the
    chain is not queued again at once, but after the next task the queue runs."""
    async with running(tmp_path / "data") as run:
        await a_deposit_announced(run, "2")
        sleep = await run.client.call("enqueueSleep", "main", 600, 0.1)
        await queued(run.client, "Refresh balances")
        # The chain's refreshes are queued together, behind the sleep.
        chain = [task["id"] for task in (await run.client.call("getTaskQueue", "main"))["queued"]]
        for task_id in chain:
            await run.client.call("cancelTask", "main", task_id)
        await run.client.call("cancelTask", "main", sleep)
        assert (await wait_for_task(run.client, sleep))["status"] == "aborted"
        assert (await run.client.call("getTaskQueue", "main"))["queued"] == []

        later = await run.client.call("enqueueSleep", "main", 0.05, 0.05)
        assert (await wait_for_task(run.client, later))["status"] == "completed"
        again = await wait_for_chain(run.client, later, trigger="system")

        assert [(task["name"], task["status"]) for task in again] == [
            ("Refresh balances", "completed"),
            ("Fetch asset prices", again[1]["status"]),  # no provider is reachable
            ("Refresh networth", "completed"),
            ("Refresh trades", "completed"),
        ]
        tasks = await run.client.call("getServerTasks", "main")
        assert names_and_triggers(list(reversed(tasks)), max(chain)) == [
            ("Sleep", "user"),
            *((name, "system") for name in REFRESH_CHAIN),
        ]
        assert await run.client.call("getBalancesAt", "main")
