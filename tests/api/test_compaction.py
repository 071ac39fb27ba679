"""Removing data gives its space back: "Compact database" follows a removal that frees much of
the account's file, and can be asked for."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.free_space import FreeSpace, free_space
from tests.api.importing import import_file, wait_for_task
from tests.conftest import make_config, running_daemon

COMPACT = "Compact database"
HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
SMALL = f'{HEADER}\n"1","2024-03-01 10:00:00","Spot","Deposit","BTC","0.5",""\n'.encode()


def deposits(rows: int) -> bytes:
    """A Binance statement of ``rows`` deposits, a minute apart."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    lines = [HEADER]
    for n in range(rows):
        when = (start + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f'"1","{when}","Spot","Deposit","BTC","{n}.5",""')
    return "\n".join(lines).encode()


async def compact_tasks(client: DaemonClient) -> list[dict[str, Any]]:
    return [task for task in await client.call("getServerTasks", "main") if task["name"] == COMPACT]


async def the_compaction(client: DaemonClient) -> dict[str, Any]:
    """The account's one "Compact database" task, once it has completed (or the last seen)."""
    for _ in range(400):
        tasks = await compact_tasks(client)
        if tasks and tasks[0]["status"] == "completed":
            break
        await asyncio.sleep(0.05)
    [task] = await compact_tasks(client)
    return task


async def space(daemon: Daemon) -> FreeSpace:
    result: FreeSpace = await daemon.accounts.get("main").read(free_space)
    return result


async def remove(client: DaemonClient, file_import_id: str) -> None:
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", file_import_id)
    assert (await wait_for_task(client, task_id))["status"] == "completed"


def compacting_daemon(data_dir: Path) -> Any:
    limits = Limits(compact_min_free_bytes=2**20, compact_min_free_fraction=0.25)
    return running_daemon(replace(make_config(data_dir), limits=limits))


async def test_removing_a_large_import_compacts_the_file(tmp_path: Path) -> None:
    async with compacting_daemon(tmp_path / "data") as (daemon, client):
        await client.call("createAccount", "main")
        await import_file(daemon, client, "small.csv", SMALL)
        await import_file(daemon, client, "large.csv", deposits(20_000))
        large = next(
            f for f in await client.call("getFileImports", "main") if f["name"] == "large.csv"
        )
        full = await space(daemon)

        await remove(client, large["id"])
        task = await the_compaction(client)
        assert (task["status"], task["trigger"]) == ("completed", "side-effect")
        compacted = await space(daemon)
        assert compacted.free_pages == 0
        assert compacted.file_bytes < full.file_bytes / 4
        assert daemon.accounts.db_path("main").stat().st_size == compacted.file_bytes
        log = await client.call("getServerTaskLog", "main", task["id"])
        assert "back to the disk; the database is now" in log
        assert await client.call("countAuditLogs", "main") == 1


async def test_a_removal_that_frees_little_is_not_followed_by_a_compaction(
    tmp_path: Path,
) -> None:
    async with compacting_daemon(tmp_path / "data") as (daemon, client):
        await client.call("createAccount", "main")
        await import_file(daemon, client, "small.csv", SMALL)
        [small] = await client.call("getFileImports", "main")

        await remove(client, small["id"])
        await asyncio.sleep(0.3)

        assert await compact_tasks(client) == []


async def test_a_compaction_can_be_asked_for(client: DaemonClient) -> None:
    await client.call("createAccount", "main")

    task_id = await client.call("enqueueCompactDatabase", "main", "user")

    task = await wait_for_task(client, task_id)
    assert (task["name"], task["status"]) == (COMPACT, "completed")
    log = await client.call("getServerTaskLog", "main", task_id)
    assert "Compacting the database: " in log


async def test_a_compaction_a_stop_cut_off_runs_when_the_account_opens(tmp_path: Path) -> None:
    """The removal committed, then the daemon stopped before its compaction ran (here: a daemon
    whose thresholds asked for none): the next start finds the free space and compacts."""
    data_dir = tmp_path / "data"
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "main")
        await import_file(daemon, client, "large.csv", deposits(20_000))
        [large] = await client.call("getFileImports", "main")
        await remove(client, large["id"])
        assert await compact_tasks(client) == []
        left_free = await space(daemon)
    assert left_free.free_pages > 0

    async with compacting_daemon(data_dir) as (daemon, client):
        task = await the_compaction(client)
        assert (task["status"], task["trigger"]) == ("completed", "system")
        assert (await space(daemon)).free_pages == 0
