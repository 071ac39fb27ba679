"""Tag ids, manual transaction numbers, server task ids and server file ids are never given twice
in an account's life, a reset and a restore of an older backup included: an offline device may
still hold a record under one, a client may be polling a task or holding a download link."""

import asyncio

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.id_floors import IdFloors
from tests.api.importing import wait_for_task
from tests.api.manual_entries import SWAP
from tests.backup.helpers import download, restore_over_rpc, upload


async def highest_task_id(client: DaemonClient) -> int:
    return max(task["id"] for task in await client.call("getServerTasks", "main"))


async def new_file_id(client: DaemonClient) -> int:
    record = await client.call(
        "upsertServerFile",
        "main",
        {"createdBy": "user", "metadata": {}, "name": "a.csv", "status": "scheduled"},
    )
    file_id: int = record["id"]
    return file_id


async def test_a_reset_gives_new_ids(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    await client.call("addTransaction", SWAP, "main")
    await client.call("resetAccount", "main")

    [tag] = await client.call("upsertTags", "main", ["c"])
    assert tag == {"id": 3, "name": "c"}
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_2"


async def test_a_restored_backup_gives_ids_above_those_given_since(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["in the backup"])
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    await client.call("upsertTags", "main", ["after the backup"])
    await client.call("addTransaction", SWAP, "main")

    uploaded = await upload(client, daemon, "main", content)
    assert await restore_over_rpc(client, "main", uploaded) is None
    [tag] = await client.call("upsertTags", "main", ["after the restore"])
    assert tag == {"id": 3, "name": "after the restore"}
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_2"


async def test_task_and_file_ids_go_on_after_a_reset(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    last_task = await highest_task_id(client)
    last_file = await new_file_id(client)
    await client.call("resetAccount", "main")

    task_id = await client.call("enqueueAutoMerge", "main", "user")
    assert task_id > last_task  # tasks the account's creation queued may have come in between
    assert await new_file_id(client) == last_file + 1


async def test_a_restore_keeps_its_task_id_the_export_ids_and_gives_new_ids_above(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    export = await client.call("enqueueExportTransactions", "main", "user")
    exported = await download(daemon, "main", export["id"])
    uploaded = await upload(client, daemon, "main", content)
    ended: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    restore_id = await client.call("enqueueRestore", "main", "user", uploaded, ended.set_result)
    assert await asyncio.wait_for(ended, 30) is None

    restore_task = await client.call("getServerTask", "main", restore_id)
    assert (restore_task["name"], restore_task["status"]) == ("Restore account", "completed")
    assert await download(daemon, "main", export["id"]) == exported
    next_task = await client.call("enqueueAutoMerge", "main", "user")
    assert next_task > restore_id
    assert await new_file_id(client) == uploaded["id"] + 1


def test_a_reset_marker_written_before_id_floors_still_reads() -> None:
    assert IdFloors.from_json({"seq": 7}) == IdFloors(seq=7, tag=0, manual=0)


async def test_a_file_id_the_daemon_never_gave_is_refused(client: DaemonClient) -> None:
    """Else the id 2^63 - 1 would use up the counter: no file could be added after it."""
    await client.call("createAccount", "main")
    for wrong in (2**63 - 1, -5):
        with pytest.raises(RpcCallError) as refused:
            await client.call("upsertServerFile", "main", {"id": wrong, "name": "max"})
        assert refused.value.message == (
            f"Server file {wrong} does not exist: the daemon gives a new file its id, leave the "
            "id out to add one"
        )
    assert await new_file_id(client) == 1


async def test_a_backup_restored_into_another_account_moves_its_colliding_ids_aside(
    client: DaemonClient, daemon: Daemon
) -> None:
    """The other account's export and the restore's task keep their ids; the backup's file and
    task that had them move to new ids, with their bytes and their log."""
    await client.call("createAccount", "main")
    statement = await upload(client, daemon, "main", b"Date,Amount\n", name="statement.csv")
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    await client.call("createAccount", "other")
    export = await client.call("enqueueExportTransactions", "other", "user")
    exported = await download(daemon, "other", export["id"])
    assert export["id"] == statement["id"] == 1
    uploaded = await upload(client, daemon, "other", content)
    ended: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    restore_id = await client.call("enqueueRestore", "other", "user", uploaded, ended.set_result)
    assert await asyncio.wait_for(ended, 30) is None

    tasks = {task["id"]: task["name"] for task in await client.call("getServerTasks", "other")}
    assert tasks[restore_id] == "Restore account"
    assert sorted(tasks.values()) == ["Auto-merge transactions", "Backup", "Restore account"]
    backup_id = next(task_id for task_id, name in tasks.items() if name == "Backup")
    log = await client.call("getServerTaskLog", "other", backup_id)
    assert "Taking a snapshot" in log and "Restore" not in log
    assert await download(daemon, "other", export["id"]) == exported
    files = {file["name"]: file["id"] for file in await client.call("getServerFiles", "other")}
    assert files["statement.csv"] > export["id"]
    assert await download(daemon, "other", files["statement.csv"]) == b"Date,Amount\n"
