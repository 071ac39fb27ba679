"""A backup made by builds up to ae74ab3 kept the records of the account's exports and backups in
its database and left their bytes out of the zip. A restore leaves those records out, and says
so in its log, rather than list files whose download answers 404 "has no content"."""

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.backup.helpers import auth, download, restore_over_rpc, upload
from tests.backup.test_restore_refusals import database_of, rezip
from tests.conftest import http_url

CSV = b"Date,Amount\n2021-01-01,1\n"
_COLUMNS = (
    "id, name, description, scheduledAt, status, progress, startedAt, completedAt, deletedAt, "
    "metadata, createdBy"
)


async def as_older_builds_wrote_it(
    daemon: Daemon, tmp_path: Path, backup: bytes, account: str
) -> bytes:
    """``backup`` with the records of the account's generated files in its database, and still
    none of their bytes in the zip."""
    made = await daemon.accounts.get(account).fetch_all(
        f"SELECT {_COLUMNS} FROM server_files WHERE createdBy = 'system' ORDER BY id"
    )
    path = tmp_path / "older.sqlite"
    path.write_bytes(database_of(backup))
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            f"INSERT INTO server_files ({_COLUMNS}) VALUES ({', '.join('?' * 11)})", made
        )
    connection.close()
    return with_database(backup, path.read_bytes())


def with_database(backup: bytes, database: bytes) -> bytes:
    """A copy of ``backup`` holding ``database``, listed in its manifest as such."""
    listed = {
        "name": "database.sqlite",
        "size": len(database),
        "sha256": hashlib.sha256(database).hexdigest(),
    }

    def change(name: str, content: bytes) -> bytes:
        if name == "database.sqlite":
            return database
        if name != "manifest.json":
            return content
        manifest = orjson.loads(content)
        entries = [listed if e["name"] == listed["name"] else e for e in manifest["entries"]]
        return orjson.dumps({**manifest, "entries": entries})

    return rezip(backup, change)


async def download_error(daemon: Daemon, account: str, file_id: int) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.get(
            http_url(daemon, "/download"), params={"accountName": account, "fileId": str(file_id)}
        ) as response,
    ):
        return response.status, await response.json()


def shown(files: list[dict[str, Any]]) -> list[tuple[int, str, str, str]]:
    return sorted((f["id"], f["name"], f["createdBy"], f["status"]) for f in files)


async def test_an_older_backups_records_of_exports_are_left_out_and_the_log_says_so(
    client: DaemonClient, daemon: Daemon, tmp_path: Path
) -> None:
    await client.call("createAccount", "main")
    trades = await upload(client, daemon, "main", CSV, "trades.csv")
    waiting = await client.call(
        "upsertServerFile",
        "main",
        {"createdBy": "user", "name": "later.csv", "status": "scheduled", "metadata": {}},
    )
    export = await client.call("enqueueExportTransactions", "main", "user")
    record = await client.call("enqueueBackup", "main")
    older = await as_older_builds_wrote_it(
        daemon, tmp_path, await download(daemon, "main", record["id"]), "main"
    )
    await client.call("createAccount", "copy")
    uploaded = await upload(client, daemon, "copy", older, "main-backup.zip")

    assert await restore_over_rpc(client, "copy", uploaded) is None

    # The user's files come back, the one still waiting for its bytes as well; the export and
    # the backup, whose content the backup never held, do not.
    assert shown(await client.call("getServerFiles", "copy")) == [
        (trades["id"], "trades.csv", "user", "completed"),
        (waiting["id"], "later.csv", "user", "scheduled"),
    ]
    assert await download(daemon, "copy", trades["id"]) == CSV
    assert await download_error(daemon, "copy", export["id"]) == (
        404,
        {"error": f"Server file {export['id']} does not exist"},
    )
    [task] = [
        t for t in await client.call("getServerTasks", "copy") if t["name"] == "Restore account"
    ]
    restore_log = await client.call("getServerTaskLog", "copy", task["id"])
    assert (
        ' [null,"Left out 2 files the daemon had made (exports, backups) whose content the '
        "backup does not hold (older versions listed such files without their content): "
        f'\\"main-transactions.csv\\" (file {export["id"]}), '
        f'\\"main-backup.zip\\" (file {record["id"]})"]\n'
    ) in restore_log


async def test_restored_into_its_own_account_the_live_exports_stay_and_none_comes_twice(
    client: DaemonClient, daemon: Daemon, tmp_path: Path
) -> None:
    await client.call("createAccount", "main")
    export = await client.call("enqueueExportTransactions", "main", "user")
    exported = await download(daemon, "main", export["id"])
    record = await client.call("enqueueBackup", "main")
    older = await as_older_builds_wrote_it(
        daemon, tmp_path, await download(daemon, "main", record["id"]), "main"
    )
    uploaded = await upload(client, daemon, "main", older, "main-backup.zip")

    assert await restore_over_rpc(client, "main", uploaded) is None

    assert shown(await client.call("getServerFiles", "main")) == [
        (export["id"], "main-transactions.csv", "system", "completed"),
        (record["id"], "main-backup.zip", "system", "completed"),
    ]
    assert await download(daemon, "main", export["id"]) == exported
