"""An account name is at most 200 bytes of UTF-8: every file made from it then stays within the
255 bytes a file system allows in a name, and a longer one is refused with a clear message."""

import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import latest_version, load_migrations, migrate
from tests.backup.helpers import download, restore_over_rpc, upload
from tests.conftest import make_config, running_daemon

MIGRATIONS = load_migrations(schema_dir("account"))

#: 200 bytes each: one byte, two and four bytes a character.
AT_THE_LIMIT = ["y" * 200, "é" * 100, "😀" * 50]


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


@pytest.mark.parametrize(
    ("name", "size"),
    [("y" * 250, 250), ("y" * 255, 255), ("y" * 201, 201), ("é" * 101, 202), ("😀" * 51, 204)],
    ids=["250 ascii", "255 ascii", "201 ascii", "101 two-byte", "51 four-byte"],
)
async def test_a_name_over_200_bytes_is_refused_clearly(
    client: DaemonClient, daemon: Daemon, name: str, size: int
) -> None:
    await client.call("createAccount", "main")
    before = files_under(daemon.config.data_dir)
    for method, params in (("createAccount", [name]), ("renameAccount", ["main", name])):
        with pytest.raises(RpcCallError) as refused:
            await client.call(method, *params)
        assert (refused.value.code, refused.value.message) == (
            -32602,
            f"Account names can be at most 200 bytes long (UTF-8); this one is {size}.",
        ), method
    assert files_under(daemon.config.data_dir) == before
    assert await client.call("getAccountNames") == ["main"]


@pytest.mark.parametrize("name", AT_THE_LIMIT, ids=["ascii", "two-byte", "four-byte"])
async def test_a_200_byte_name_works_end_to_end(
    client: DaemonClient, daemon: Daemon, name: str
) -> None:
    renamed = name[:-1] + {"y": "z", "é": "è", "😀": "😁"}[name[-1]]
    assert len(renamed.encode()) == 200
    await client.call("createAccount", name)
    await client.call("setValue", name, "marker", "before the backup")
    backup = await client.call("enqueueBackup", name)
    content = await download(daemon, name, backup["id"])
    await client.call("setValue", name, "marker", "after the backup")
    uploaded = await upload(client, daemon, name, content)
    assert await restore_over_rpc(client, name, uploaded) is None
    assert await client.call("getValue", name, "marker", None) == "before the backup"
    await client.call("renameAccount", name, renamed)
    assert await client.call("getValue", renamed, "marker", None) == "before the backup"
    await client.call("resetAccount", renamed)
    assert await client.call("getValue", renamed, "marker", None) is None
    await client.call("deleteAccount", renamed)
    assert await client.call("getAccountNames") == []


async def test_200_byte_names_get_their_copy_before_an_upgrade(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    databases = data_dir / "databases"
    databases.mkdir(parents=True)
    for name in AT_THE_LIMIT:
        path = databases / f"{name}.sqlite"
        connection = sqlite3.connect(path, isolation_level=None)
        migrate(connection, MIGRATIONS[:-1], path)
        connection.close()
    async with running_daemon(make_config(data_dir)) as (_, client):
        assert sorted(await client.call("getAccountNames")) == sorted(AT_THE_LIMIT)
        for name in AT_THE_LIMIT:
            await client.call("setValue", name, "marker", "written")
    latest = latest_version(MIGRATIONS)
    for name in AT_THE_LIMIT:
        prefix = f"{name}.sqlite.pre-v{latest}-"
        copies = [path for path in databases.iterdir() if path.name.startswith(prefix)]
        assert len(copies) == 1, name
        assert len(copies[0].name.encode()) <= 255
