"""An account's database file deleted, or replaced by another file, while the daemon runs: writes
are refused, saying so, and what the file held is saved beside it."""

import asyncio
import shutil
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.database import connect_read_only
from tests.conftest import make_config, running_daemon

DEPOSIT = {
    "type": "Deposit",
    "timestamp": 1700000000000,
    "wallet": "w",
    "platformId": "ex.binance",
    "incoming": "1",
    "incomingAsset": "ex.binance:BTC",
}


def gone_message(path: Path, happened: str, copy: Path) -> str:
    return (
        f"The database file {path} {happened} while the daemon had it open, so nothing more is "
        f'written to it. What it held is saved in {copy}: see "A database file deleted or '
        'replaced" in the README.'
    )


def the_copy(databases: Path) -> Path:
    [copy] = [path for path in databases.iterdir() if ".sqlite.recovered-" in path.name]
    assert copy.name.startswith("main.sqlite.recovered-")
    return copy


def transaction_ids(path: Path) -> list[str]:
    connection = connect_read_only(path)
    try:
        return [row[0] for row in connection.execute("SELECT id FROM transactions ORDER BY id")]
    finally:
        connection.close()


async def error_log(client: DaemonClient) -> list[str]:
    rows, _ = await client.call("getServerLogs", {"level": "error"}, 100)
    return [row["message"] for row in rows]


async def test_a_deleted_file_refuses_writes_and_its_data_is_saved(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        kept = await client.call("addTransaction", DEPOSIT, "main")
        databases = daemon.accounts.databases_dir
        (databases / "main.sqlite").unlink()

        with pytest.raises(RpcCallError) as caught:
            await client.call("addTransaction", DEPOSIT, "main")
        copy = the_copy(databases)
        expected = gone_message(databases / "main.sqlite", "was deleted", copy)
        assert (caught.value.code, caught.value.message) == (-32603, expected)
        with pytest.raises(RpcCallError) as again:
            await client.call("addTransaction", DEPOSIT, "main")
        assert again.value.message == expected
        assert (await error_log(client)).count(expected) == 1
        assert await client.call("countTransactions", "main") == 1  # reads go on
        assert transaction_ids(copy) == [kept]
    # The log and its index SQLite left beside the deleted file went with the account.
    assert sorted(path.name for path in databases.iterdir()) == [copy.name]
    async with running_daemon(config) as (daemon, client):
        assert await client.call("getAccountNames") == []
    assert sorted(path.name for path in databases.iterdir()) == [copy.name]


async def test_the_saved_copy_opens_as_the_account_once_renamed(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        kept = await client.call("addTransaction", DEPOSIT, "main")
        databases = daemon.accounts.databases_dir
        (databases / "main.sqlite").unlink()
        with pytest.raises(RpcCallError):
            await client.call("addTransaction", DEPOSIT, "main")
    the_copy(databases).rename(databases / "main.sqlite")
    async with running_daemon(config) as (daemon, client):
        assert await client.call("getAccountNames") == ["main"]
        [row] = await client.call("getTransactions", "main")
        assert row["id"] == kept


async def test_a_deleted_file_left_alone_is_saved_when_the_daemon_stops(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        kept = await client.call("addTransaction", DEPOSIT, "main")
        databases = daemon.accounts.databases_dir
        (databases / "main.sqlite").unlink()
    assert transaction_ids(the_copy(databases)) == [kept]


async def test_a_replaced_file_refuses_writes_and_is_opened_at_the_next_start(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        kept = await client.call("addTransaction", DEPOSIT, "main")
        databases = daemon.accounts.databases_dir
        other = tmp_path / "other.sqlite"
        with sqlite3.connect(other) as connection:
            connection.execute("CREATE TABLE marker (note TEXT)")
            connection.execute("INSERT INTO marker VALUES ('the replacement')")
        connection.close()
        other.replace(databases / "main.sqlite")

        with pytest.raises(RpcCallError) as caught:
            await client.call("addTransaction", DEPOSIT, "main")
        copy = the_copy(databases)
        path = databases / "main.sqlite"
        expected = gone_message(path, "was replaced by another file", copy)
        assert (caught.value.code, caught.value.message) == (-32603, expected)
        assert (await error_log(client)).count(expected) == 1
        # A crash now: the files as they are on disk read as the replacement, none of the old
        # file's log mixed in.
        crashed = tmp_path / "crashed"
        shutil.copytree(databases, crashed)
        connection = connect_read_only(crashed / "main.sqlite")
        assert connection.execute("SELECT note FROM marker").fetchall() == [("the replacement",)]
        connection.close()
        assert transaction_ids(copy) == [kept]
    async with running_daemon(config) as (daemon, client):
        assert await client.call("getAccountNames") == ["main"]
        assert await client.call("countTransactions", "main") == 0


async def test_a_file_replaced_while_a_read_holds_the_log_is_the_replacement_after_a_stop(
    tmp_path: Path,
) -> None:
    """The read keeps the old file's log from being emptied when the replacement is found;
    it is emptied once the readers are closed, so the replacement is not read with it."""
    limits = Limits(db_busy_timeout_ms=100)
    config = replace(make_config(tmp_path / "data"), limits=limits)
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        for _ in range(3):
            await client.call("addTransaction", DEPOSIT, "main")
        databases = daemon.accounts.databases_dir
        holding, release = threading.Event(), threading.Event()

        def hold(connection: sqlite3.Connection) -> None:
            connection.execute("BEGIN")
            connection.execute("SELECT count(*) FROM transactions").fetchall()
            holding.set()
            release.wait(10)
            connection.execute("COMMIT")

        reading = asyncio.create_task(daemon.accounts.get("main").read(hold))
        assert await asyncio.to_thread(holding.wait, 10)
        other = tmp_path / "other.sqlite"
        with sqlite3.connect(other) as connection:
            connection.execute("CREATE TABLE marker (note TEXT)")
            connection.execute("INSERT INTO marker VALUES ('the replacement')")
        connection.close()
        other.replace(databases / "main.sqlite")
        with pytest.raises(RpcCallError, match="was replaced by another file"):
            await client.call("addTransaction", DEPOSIT, "main")
        release.set()
        await reading
    connection = connect_read_only(databases / "main.sqlite")
    assert connection.execute("SELECT note FROM marker").fetchall() == [("the replacement",)]
    connection.close()


async def test_a_new_query_connection_and_a_rename_say_the_file_is_gone(tmp_path: Path) -> None:
    async with running_daemon(make_config(tmp_path / "data")) as (daemon, client):
        await client.call("createAccount", "main")
        databases = daemon.accounts.databases_dir
        (databases / "main.sqlite").unlink()

        with pytest.raises(RpcCallError) as query:
            await client.call("readSql", "main", "SELECT 1")
        expected = gone_message(databases / "main.sqlite", "was deleted", the_copy(databases))
        assert (query.value.code, query.value.message) == (-32603, expected)
        with pytest.raises(RpcCallError) as rename:
            await client.call("renameAccount", "main", "savings")
        assert rename.value.message == expected
        assert await client.call("getAccountNames") == ["main"]


async def test_a_gone_files_index_is_removed_and_its_log_kept_aside_at_start(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "data")
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "kept")
        databases = daemon.accounts.databases_dir
    for name in ("main.sqlite-wal", "main.sqlite-shm", "main.sqlite-journal"):
        (databases / name).write_bytes(b"left by a crash")
    (databases / "main.sqlite.recovered-1").write_bytes(b"a saved copy stays")
    (databases / "other.sqlite-wal").write_bytes(b"")
    async with running_daemon(config) as (daemon, client):
        assert await client.call("getAccountNames") == ["kept"]
        names = sorted(path.name for path in databases.iterdir())
        assert [name.rsplit("-", 1)[0] if ".orphaned-" in name else name for name in names] == [
            "kept.sqlite",
            "kept.sqlite-shm",
            "kept.sqlite-wal",
            "main.sqlite-journal.orphaned",
            "main.sqlite-wal.orphaned",
            "main.sqlite.recovered-1",
        ]
        kept_log = next(databases.glob("main.sqlite-wal.orphaned-*"))
        assert kept_log.read_bytes() == b"left by a crash"
