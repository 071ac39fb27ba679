"""Imports and removals queued back to back each do their own work. Tasks of one name are merged
while queued; an import of another file of the same name, or the removal of another file import,
is not the same work and must not be merged into it."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import upload, wait_for_task

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'


def statement(amount: str) -> bytes:
    return f'{HEADER}\n"1","2021-03-01 10:00:00","Spot","Deposit","BTC","{amount}",""'.encode()


async def busy_queue(client: DaemonClient) -> int:
    """A task that holds the queue for a moment, so that the next ones wait behind it."""
    task_id: int = await client.call("enqueueSleep", "main", 1, 0.5)
    return task_id


async def import_ids(client: DaemonClient) -> list[str]:
    return sorted(item["id"] for item in await client.call("getFileImports", "main"))


async def test_files_of_one_name_are_each_imported(client: DaemonClient, daemon: Daemon) -> None:
    await client.call("createAccount", "main")
    # Sizes differ: a file import's id hashes the name, size and time of the file.
    files = [await upload(daemon, client, "export.csv", statement(n)) for n in ("1", "22", "333")]
    await busy_queue(client)

    task_ids = [
        await client.call("enqueueImportFile", "main", "user", record["id"], {}, f"group-{n}")
        for n, record in enumerate(files)
    ]

    assert len(set(task_ids)) == 3
    tasks = [await wait_for_task(client, task_id) for task_id in task_ids]
    assert [task["status"] for task in tasks] == ["completed"] * 3
    assert len(await import_ids(client)) == 3
    wizard = await client.call(
        "getServerTasks", "main", "SELECT * FROM server_tasks WHERE groupId = ?", ["group-2"]
    )
    assert [task["id"] for task in wizard] == [task_ids[2]]


async def test_a_repeated_import_of_one_file_is_merged(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    record = await upload(daemon, client, "export.csv", statement("1"))
    await busy_queue(client)

    calls = [
        ("main", "user", record["id"], {}, "wizard"),
        ("main", "user", record["id"], None, "wizard"),  # read as the empty context
    ]
    first, second = [await client.call("enqueueImportFile", *call) for call in calls]

    assert first == second
    assert (await wait_for_task(client, first))["status"] == "completed"


async def test_removals_of_different_imports_each_remove_theirs(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    for n in ("1", "2", "3"):
        record = await upload(daemon, client, f"f{n}.csv", statement(n))
        task_id = await client.call("enqueueImportFile", "main", "user", record["id"])
        assert (await wait_for_task(client, task_id))["status"] == "completed"
    fids = await import_ids(client)
    await busy_queue(client)
    completions: list[Any] = []

    task_ids = [
        await client.call(
            "enqueueRemoveFileImport", "main", "user", fid, lambda error: completions.append(error)
        )
        for fid in fids
    ]

    assert len(set(task_ids)) == 3
    assert [(await wait_for_task(client, task_id))["status"] for task_id in task_ids] == [
        "completed"
    ] * 3
    assert await import_ids(client) == []
    assert await client.call("countAuditLogs", "main") == 0
