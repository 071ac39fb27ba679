"""An account's files are found by their exact names: a name with glob syntax (``[M]ain``) or
one that starts like another account's files never reaches that account's files."""

import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.domain.trades_offline import scratch_path
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import latest_version, load_migrations, migrate
from tests.conftest import make_config, running_daemon

MIGRATIONS = load_migrations(schema_dir("account"))
LATEST = latest_version(MIGRATIONS)

#: Each, as a glob, matches "Main"'s files; or "Main"'s glob matches its database.
#: (``*`` and ``?`` cannot be in an account name.)
OTHERS = ["[M]ain", "[!x]ain", "[L-N]ain", "Main.sqlite.pre-v1-1.bak"]


def make_account_before_the_last_migration(databases: Path, name: str) -> None:
    path = databases / f"{name}.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(connection, MIGRATIONS[:-1], path)
        connection.execute("INSERT INTO key_value (key, value) VALUES ('whose', ?)", (name,))
    finally:
        connection.close()


@pytest.mark.parametrize("other", OTHERS)
async def test_each_account_keeps_its_own_copy_from_before_the_upgrade(
    tmp_path: Path, other: str
) -> None:
    names = ["Main", other]
    data_dir = tmp_path / "data"
    databases = data_dir / "databases"
    databases.mkdir(parents=True)
    for name in names:
        make_account_before_the_last_migration(databases, name)
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        assert sorted(await client.call("getAccountNames")) == sorted(names)
        for name in names:
            rows = await daemon.accounts.get(name).fetch_all(
                "SELECT value FROM key_value WHERE key = 'whose'"
            )
            assert [tuple(row) for row in rows] == [(name,)], name
    for name in names:
        copies = [
            path.name
            for path in databases.iterdir()
            if path.name.startswith(f"{name}.sqlite.pre-v{LATEST}-")
            and path.name.endswith(".bak")
            and path.name[len(f"{name}.sqlite.pre-v{LATEST}-") : -len(".bak")].isdigit()
        ]
        assert len(copies) == 1, (name, sorted(path.name for path in databases.iterdir()))
        copy = sqlite3.connect(databases / copies[0])
        try:
            assert copy.execute("SELECT value FROM key_value WHERE key = 'whose'").fetchall() == [
                (name,)
            ]
        finally:
            copy.close()


async def test_opening_an_account_leaves_the_trades_scratch_of_others(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "Main")
        await client.call("createAccount", "Main-trades.scratch-x")
        main = scratch_path(daemon.accounts.db_path("Main"))
        other = scratch_path(daemon.accounts.db_path("Main-trades.scratch-x"))
        for path in (main, other):  # trades runs of both accounts in flight
            path.write_bytes(b"a trades run in flight")
            path.with_name(f"{path.name}-journal").write_bytes(b"")
        for name in ("[M]ain", "[!x]ain", "[L-N]ain"):
            await client.call("createAccount", name)
        assert main.read_bytes() == b"a trades run in flight"
        assert main.with_name(f"{main.name}-journal").exists()
        await client.call("resetAccount", "Main")  # "Main" opens again
        assert other.read_bytes() == b"a trades run in flight"
        assert other.with_name(f"{other.name}-journal").exists()


async def test_an_account_opened_still_removes_its_own_trades_scratch(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "[M]ain")
        scratch = scratch_path(daemon.accounts.db_path("[M]ain"))
    for suffix in ("", "-journal", "-wal", "-shm"):
        scratch.with_name(f"{scratch.name}{suffix}").write_bytes(b"cut off by a stop")
    async with running_daemon(make_config(data_dir)):
        assert not [path.name for path in scratch.parent.iterdir() if "trades.scratch" in path.name]


def upgrade_copies_of(databases: Path) -> list[str]:
    return sorted(path.name.rsplit(".sqlite.pre-v", 1)[0] for path in databases.glob("*.bak"))


async def test_the_copies_from_before_an_upgrade_go_with_their_account(tmp_path: Path) -> None:
    """A copy is the whole ledger: a deleted or reset account leaves none behind, and a renamed
    one takes its copy along; another account's copy stays."""
    data_dir = tmp_path / "data"
    databases = data_dir / "databases"
    databases.mkdir(parents=True)
    names = ["Main", "Reset", "Moved", "Main.sqlite.pre-v1-1.bak"]
    for name in names:
        make_account_before_the_last_migration(databases, name)
    async with running_daemon(make_config(data_dir)) as (_, client):
        assert upgrade_copies_of(databases) == sorted(names)
        await client.call("deleteAccount", "Main")
        await client.call("resetAccount", "Reset")
        await client.call("renameAccount", "Moved", "Renamed")
        assert upgrade_copies_of(databases) == ["Main.sqlite.pre-v1-1.bak", "Renamed"]
