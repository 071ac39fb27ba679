"""Shared pieces of the backup tests: account contents, digests, uploads, restores over RPC."""

import asyncio
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.conftest import http_url

#: Tables whose rows a restore brings back exactly (``server_tasks`` gains the restore's row).
RESTORED_EXACTLY = "server_tasks"
DERIVED_UP_TO = 1_700_000_000_000  # after the last row fill_account writes
#: The key-value rows a restore renews: the sync feed's name (clients read a new snapshot), and
#: the line of ids, the account's own (domain/id_floors).
RENAMED_ON_RESTORE = ("sync_feed_id", "id_lineage")
#: The table a restore renews: the feed, whose changes take versions above the account's.
RENEWED_ON_RESTORE = "sync_changes"
#: Counters a restore keeps at the live account's height, never the backup's (domain/id_floors).
RAISED_ON_RESTORE = ("tags", "sync_changes", "server_files")
MANUAL_SEQUENCE = "transaction_man_seq"


def auth(daemon: Daemon) -> dict[str, str]:
    return {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}


def database_that_cannot_open(path: Path) -> str:
    """Write at ``path`` a database of schema version 2 that passes a restore's checks but
    cannot be opened: an audit log's id is NULL, which its ``VARCHAR PRIMARY KEY`` allowed and
    migration 0003 refuses. Returns why opening it fails."""
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account"))[:2], path)
    connection.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (NULL, 'binance:BTC', '1', 0, 'Deposit', 'binance', 0, 'w')"
    )
    connection.close()
    return (
        "Migration 0003_droppable_id_indexes.sql failed: NOT NULL constraint failed: "
        "audit_logs_rebuilt.id"
    )


def fill_account(connection: sqlite3.Connection, rows: int = 300, seed: int = 0) -> None:
    """Audit logs, transactions, tags, prices and settings: a bit of every kind of row."""
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO audit_logs (id, assetId, balance, change, importIndex, operation, "
        "platformId, timestamp, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"log_{seed}_{i}",
                "binance:BTC" if i % 2 else "ethereum:0x0:ETH",
                f"{i}.5",
                f"{i % 7 - 3}.25",
                i,
                "Deposit",
                "binance",
                1_600_000_000_000 + i * 60_000,
                "Binance Spot",
            )
            for i in range(rows)
        ],
    )
    connection.executemany(
        "INSERT INTO transactions (id, platformId, timestamp, type, wallet, incoming, "
        "incomingAsset) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (f"tx_{seed}_{i}", "binance", 1_600_000_000_000 + i, "Deposit", "w", f"{i}", "BTC")
            for i in range(rows // 3)
        ],
    )
    connection.execute("INSERT INTO tags (name) VALUES (?)", (f"tag {seed}",))
    connection.execute(
        "INSERT OR REPLACE INTO key_value (key, value) VALUES ('marker', ?)", (f"seed {seed}",)
    )
    # Its derived data counts as up to date, so that opening it queues no refresh, which would
    # change the rows the tests compare.
    connection.executemany(
        "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)",
        [(key, DERIVED_UP_TO) for key in ("balancesCursor", "networthCursor", "tradesCursor")],
    )
    connection.execute("COMMIT")


def table_digests(db_path: Path, skip: tuple[str, ...] = (RESTORED_EXACTLY,)) -> dict[str, str]:
    """sha256 of each table's rows (sorted), read from a database file."""
    connection = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        digests = {}
        for table in tables:
            if table in skip:
                continue
            query = f'SELECT * FROM "{table}"'
            if table == "sqlite_sequence":  # the server_tasks counter moves with the tasks
                query += " WHERE name NOT IN ('" + "', '".join((*skip, *RAISED_ON_RESTORE)) + "')"
            if table == "key_value":
                renewed = "', '".join((*RENAMED_ON_RESTORE, MANUAL_SEQUENCE))
                query += f" WHERE key NOT IN ('{renewed}')"
            rows = sorted(repr(row) for row in connection.execute(query))
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests
    finally:
        connection.close()


def restored_digests(db_path: Path) -> dict[str, str]:
    """``table_digests`` of the tables a restore brings back as they were in the backup."""
    return table_digests(db_path, skip=(RESTORED_EXACTLY, RENEWED_ON_RESTORE))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def tree_listing(directory: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``directory``."""
    if not directory.exists():
        return {}
    return {
        path.relative_to(directory).as_posix(): sha256_file(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


async def changed_backup(client: DaemonClient, daemon: Daemon) -> bytes:
    """A real backup of a new account "main", which is then changed (so a restore would show)."""
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").write(fill_account)
    record = await client.call("enqueueBackup", "main")
    content = (daemon.accounts.files_dir("main") / str(record["id"])).read_bytes()
    await daemon.accounts.get("main").write(lambda conn: fill_account(conn, 5, seed=1))
    return content


async def checkpoint(daemon: Daemon, account: str) -> None:
    await daemon.accounts.get(account).write(
        lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    )


async def upload(
    client: DaemonClient, daemon: Daemon, account: str, content: bytes, name: str = "backup.zip"
) -> dict[str, Any]:
    """The frontend's upload: ``upsertServerFile``, then ``POST /upload``."""
    record = await client.call(
        "upsertServerFile",
        account,
        {
            "createdBy": "user",
            "metadata": {"lastModified": 0, "size": len(content), "type": "application/zip"},
            "name": name,
            "scheduledAt": 1_700_000_000_000,
            "status": "scheduled",
        },
    )
    form = aiohttp.FormData()
    form.add_field("accountName", account)
    form.add_field("fileId", str(record["id"]))
    form.add_field("file", content, filename=name, content_type="application/zip")
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.post(http_url(daemon, "/upload"), data=form) as response,
    ):
        assert response.status == 200, await response.text()
        uploaded: dict[str, Any] = await response.json()
        return uploaded


async def download(daemon: Daemon, account: str, file_id: int) -> bytes:
    async with (
        aiohttp.ClientSession(headers=auth(daemon)) as session,
        session.get(
            http_url(daemon, "/download"), params={"accountName": account, "fileId": str(file_id)}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.read()


async def restore_over_rpc(
    client: DaemonClient, account: str, record: dict[str, Any], timeout: float = 30
) -> str | None:
    """``enqueueRestore`` and wait for its ``onCompletion``; returns the error (None: restored)."""
    done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def on_completion(error: str | None) -> None:
        if not done.done():
            done.set_result(error)

    await client.call("enqueueRestore", account, "user", record, on_completion)
    return await asyncio.wait_for(done, timeout)
