"""Backup → download → upload → restore through the real daemon, as the frontend does it."""

import asyncio
import io
import zipfile
from typing import Any

import orjson
import pytest

from privatefolio_daemon import __version__
from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.timeutil import now_ms
from tests.backup.helpers import (
    download,
    fill_account,
    restore_over_rpc,
    sha256_file,
    table_digests,
    upload,
)
from tests.conftest import ACCOUNT_SCHEMA_VERSION


def records_of(snapshot: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return sorted(
        (record["entity"], record["recordId"], record["record"]) for record in snapshot["records"]
    )


async def test_backup_then_restore_brings_every_table_back(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").write(fill_account)
    user_file = await upload(client, daemon, "main", b"Date,Amount\n2021-01-01,1\n", "trades.csv")
    slept: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    await client.call("enqueueSleep", "main", 0.01, 0.01, False, slept.set_result)
    assert await slept is None  # a finished task, so there is a task log
    await client.call("upsertTags", "main", ["synced"])
    feed_before = await client.call("getChanges", "main", 0)
    snapshot_before = await client.call("getSnapshot", "main")
    db_path = daemon.accounts.db_path("main")
    before = table_digests(db_path, skip=("server_tasks", "sync_changes"))
    before_tasks = await daemon.accounts.get("main").fetch_all(
        "SELECT id, name, status FROM server_tasks ORDER BY id"
    )

    started = now_ms()
    record = await client.call("enqueueBackup", "main")
    assert record["name"] == "main-backup.zip"
    assert record["createdBy"] == "system"
    assert record["status"] == "completed"
    assert record["metadata"]["type"] == "application/zip"
    content = await download(daemon, "main", record["id"])
    assert record["metadata"]["size"] == len(content)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = sorted(archive.namelist())
        manifest = orjson.loads(archive.read("manifest.json"))
        csv = archive.read(f"files/{user_file['id']}")
    backup_task = before_tasks[-1][0] + 1
    assert names == sorted(
        [
            "database.sqlite",
            f"files/{user_file['id']}",
            *(f"logs/server_task_{task_id}.log" for task_id in (1, backup_task)),
            "manifest.json",
        ]
    )
    assert csv == b"Date,Amount\n2021-01-01,1\n"
    assert manifest["format"] == "privatefolio-backup"
    assert manifest["formatVersion"] == 1
    assert manifest["appVersion"] == __version__
    assert manifest["schemaVersion"] == ACCOUNT_SCHEMA_VERSION
    assert manifest["accountName"] == "main"
    assert started <= manifest["createdAt"] <= now_ms()
    assert [entry["name"] for entry in manifest["entries"]] == sorted(
        set(names) - {"manifest.json"}, key=names.index
    )

    # The frontend's restore: reset, upload the zip, restore it.
    await client.call("resetAccount", "main")
    await daemon.accounts.get("main").write(lambda conn: fill_account(conn, rows=10, seed=9))
    assert table_digests(db_path, skip=("server_tasks", "sync_changes")) != before
    uploaded = await upload(client, daemon, "main", content)
    assert await restore_over_rpc(client, "main", uploaded) is None

    assert table_digests(db_path, skip=("server_tasks", "sync_changes")) == before
    # The feed is the backup's, under a new name (devices that followed it read a new snapshot),
    # at versions above the account's: its change, then one for each record it held unchanged.
    feed_after = await client.call("getChanges", "main", 0)
    assert feed_after["feedId"] != feed_before["feedId"]
    [tag] = feed_before["changes"]
    assert feed_after["changes"][0] == tag | {"seq": 2, "version": 2}
    snapshot_after = await client.call("getSnapshot", "main")
    assert records_of(snapshot_after) == records_of(snapshot_before)
    assert sorted(record["version"] for record in snapshot_after["records"]) == list(
        range(2, 2 + len(snapshot_before["records"]))
    )
    tasks = await daemon.accounts.get("main").fetch_all(
        "SELECT id, name, status FROM server_tasks ORDER BY id"
    )
    assert tasks[: len(before_tasks)] == before_tasks
    assert tasks[len(before_tasks) :] == [
        (backup_task, "Backup", "completed"),
        (backup_task + 1, "Restore account", "completed"),
    ]
    files_dir = daemon.accounts.files_dir("main")
    assert sorted(path.name for path in files_dir.iterdir()) == [str(user_file["id"])]
    restore_log = await client.call("getServerTaskLog", "main", backup_task + 1)
    assert restore_log.endswith(' [100,"Restore completed"]\n')
    assert (daemon.accounts.logs_dir("main") / "server_task_1.log").exists()
    leftovers = [
        path.name
        for path in daemon.accounts.databases_dir.iterdir()
        if path.name not in ("main.sqlite", "main.sqlite-wal", "main.sqlite-shm")
    ]
    assert leftovers == []
    assert not (daemon.config.data_dir / "restore-staging").exists()
    # The account works: new writes land in the restored database.
    await client.call("setValue", "main", "after", 1)
    assert await client.call("getValue", "main", "after") == 1
    assert sha256_file(db_path)


async def test_a_restore_keeps_the_accounts_backups_and_exports(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A backup leaves out the files the daemon made; the restore keeps the live ones, so that
    restoring an older backup by mistake can be undone with a newer one."""
    await client.call("createAccount", "main")
    user_file = await upload(client, daemon, "main", b"Date,Amount\n2021-01-01,1\n", "trades.csv")
    older = await client.call("enqueueBackup", "main")
    older_content = await download(daemon, "main", older["id"])
    await client.call("upsertTags", "main", ["after the backup"])
    export = await client.call("enqueueExportTransactions", "main", "user")
    newer = await client.call("enqueueBackup", "main")
    kept = {
        name: await download(daemon, "main", record["id"])
        for name, record in (("older", older), ("export", export), ("newer", newer))
    }
    uploaded = await upload(client, daemon, "main", older_content)

    assert await restore_over_rpc(client, "main", uploaded) is None

    files = await client.call("getServerFiles", "main")
    assert [(record["name"], record["createdBy"]) for record in files] == [
        ("main-backup.zip", "system"),
        (export["name"], "system"),
        ("main-backup.zip", "system"),
        ("trades.csv", "user"),
    ]
    assert files[-1]["id"] == user_file["id"]
    contents = [await download(daemon, "main", record["id"]) for record in files]
    assert contents[:3] == [kept["newer"], kept["export"], kept["older"]]
    assert await client.call("getTags", "main") == []  # the account is the older backup's


async def test_backups_beyond_the_last_five_are_deleted(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    ids = [(await client.call("enqueueBackup", "main"))["id"] for _ in range(7)]
    files = await client.call("getServerFiles", "main")
    assert [record["id"] for record in files] == ids[:1:-1]
    assert sorted(int(path.name) for path in daemon.accounts.files_dir("main").iterdir()) == ids[2:]


async def test_a_backup_of_a_missing_account_is_refused(client: DaemonClient) -> None:
    from privatefolio_daemon.client import RpcCallError

    try:
        await client.call("enqueueBackup", "ghost")
    except RpcCallError as error:
        assert error.message == 'Account "ghost" does not exist'
    else:
        raise AssertionError("the backup of a missing account was accepted")


async def test_a_backup_that_cannot_be_written_fails_as_a_task(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    files_dir = daemon.accounts.files_dir("main")
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    files_dir.write_text("a file where the account's files directory belongs\n")

    with pytest.raises(RpcCallError) as failed:
        await client.call("enqueueBackup", "main")

    assert failed.value.code == -32006
    assert failed.value.message == (
        f"The backup could not be written: [Errno 17] File exists: '{files_dir}'"
    )


async def test_a_new_accounts_backup_restores_though_its_empty_pages_pack_tight(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    backup = await client.call("enqueueBackup", "main")
    content = await download(daemon, "main", backup["id"])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("database.sqlite")
    assert info.file_size / info.compress_size > 200  # past the ratio a large entry may have
    uploaded = await upload(client, daemon, "main", content)
    assert await restore_over_rpc(client, "main", uploaded) is None
    assert await client.call("getTags", "main") == []
