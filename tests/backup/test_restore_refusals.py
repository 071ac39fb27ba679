"""Every bad backup is refused with a message that names the problem, and the live account is
left byte for byte as it was."""

import hashlib
import io
import os
import sqlite3
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.backup.archive_reader import RestoreLimits
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
from privatefolio_daemon.domain.backup.restore import Restores
from privatefolio_daemon.domain.errors import NotFoundError
from tests.backup.helpers import (
    changed_backup,
    checkpoint,
    restore_over_rpc,
    sha256_file,
    tree_listing,
    upload,
)
from tests.conftest import ACCOUNT_SCHEMA_VERSION


def ignore(_: float | None = None, __: str | None = None) -> None:
    pass


def rezip(source: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of a zip with each entry's content passed through ``change`` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            content = change(info.filename, old.read(info))
            if content is not None:
                new.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_extra_entry(source: bytes, name: str, content: bytes) -> bytes:
    """A copy of a backup with one more entry, listed in its manifest with the right checksum."""
    return with_extra_entries(source, {name: content})


def with_extra_entries(source: bytes, entries: dict[str, bytes]) -> bytes:
    """A copy of a backup with more entries, listed in its manifest with the right checksums."""
    listed = [
        {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in entries.items()
    ]

    def add_to_manifest(entry: str, data: bytes) -> bytes:
        if entry != "manifest.json":
            return data
        manifest = orjson.loads(data)
        return orjson.dumps({**manifest, "entries": [*manifest["entries"], *listed]})

    out = io.BytesIO(rezip(source, add_to_manifest))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def whole_expansion(archive: bytes) -> str:
    """How ``archive`` expands, as the refusal of a zip bomb words it."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        infos = opened.infolist()
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    sizes = f"{packed / 1024:.1f} KiB to {total / 2**20:.1f} MiB"
    return f"{total / packed:.0f} times as a whole ({sizes})"


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.fixture
async def good_backup(client: DaemonClient, daemon: Daemon) -> bytes:
    """A real backup of the account "main", which is then changed (so a restore would show)."""
    return await changed_backup(client, daemon)


def database_of(backup: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(backup)) as archive:
        return archive.read("database.sqlite")


def sqlite_bytes(
    tmp_path: Path, source: bytes, edit: Callable[[sqlite3.Connection], object]
) -> bytes:
    path = tmp_path / "edited.sqlite"
    path.write_bytes(source)
    connection = sqlite3.connect(path, isolation_level=None)
    edit(connection)
    connection.close()
    return path.read_bytes()


def corrupt_a_page(tmp_path: Path, source: bytes) -> bytes:
    """Scribble over the cell pointers of one audit_logs page: a classic torn page."""
    path = tmp_path / "torn.sqlite"
    path.write_bytes(source)
    connection = sqlite3.connect(path)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'audit_logs'"
    ).fetchone()[0]
    connection.close()
    data = bytearray(source)
    start = (root - 1) * page_size + 12
    data[start : start + 64] = b"\xff" * 64
    return bytes(data)


def bad_backups(good: bytes, tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    """Name → (the zip's bytes, the exact error, or its start when it ends with "…")."""
    database = database_of(good)
    symlink = io.BytesIO()
    with zipfile.ZipFile(symlink, "w") as archive:
        archive.writestr("database.sqlite", database)
        link = zipfile.ZipInfo("files/7")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    bomb = zip_of({"database.sqlite": b"\0" * (64 * 2**20)})
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        info = archive.getinfo("database.sqlite")
        ratio = info.file_size / info.compress_size
        packed = f"{info.compress_size / 1024:.1f} KiB"
    small_bombs = with_extra_entries(
        good, {f"files/{1000 + i}": b"\0" * (15 * 2**20) for i in range(4)}
    )  # each entry under the 16 MiB from which one entry's expansion is checked
    newer = sqlite_bytes(tmp_path, database, lambda conn: conn.execute("PRAGMA user_version = 99"))
    altered = sqlite_bytes(
        tmp_path, database, lambda conn: conn.execute("UPDATE key_value SET value = 'x'")
    )
    return {
        "not a zip": (
            b"Date,Amount\n2021-01-01,1\n",
            "The file is not a zip archive, so it cannot be a backup.",
        ),
        "truncated": (
            good[: len(good) // 2],
            "The backup zip is damaged or truncated (File is not a zip file); it cannot be "
            "restored.",
        ),
        "traversal": (
            zip_of({"database.sqlite": database, "../../evil.sh": b"rm -rf /"}),
            'The backup contains an entry that points outside it: "../../evil.sh".',
        ),
        "absolute": (
            zip_of({"database.sqlite": database, "/etc/cron.d/evil": b"x"}),
            'The backup contains an entry with an absolute path: "/etc/cron.d/evil".',
        ),
        "symlink": (
            symlink.getvalue(),
            'The backup contains a symbolic link, "files/7"; links are refused.',
        ),
        "zip bomb": (
            bomb,
            f'The backup entry "database.sqlite" expands {ratio:.0f} times ({packed} to 64.0 MiB), '
            "more than the limit of 200: it is refused as a possible zip bomb.",
        ),
        "small zip bombs": (
            small_bombs,
            f"The backup expands {whole_expansion(small_bombs)}, more than the limit of 200: it "
            "is refused as a possible zip bomb.",
        ),
        "file of no server file": (
            with_extra_entries(good, {"files/1000": b"a,b\n", "files/0001": b"c,d\n"}),
            'The backup holds files that no server file of its database names ("files/0001", '
            '"files/1000"): it was altered, and it is refused.',
        ),
        "checksum mismatch": (
            rezip(good, lambda name, content: altered if name == "database.sqlite" else content),
            'The backup entry "database.sqlite" does not match manifest.json (its sha256 or size '
            "differs): the backup is damaged or was altered.",
        ),
        "missing entry": (
            rezip(good, lambda name, content: None if name.startswith("logs/") else content),
            'The backup is incomplete: "logs/server_task_1.log" is listed in manifest.json but '
            "missing.",
        ),
        "entry of no known kind": (
            with_extra_entry(good, "files/abc", b"not a file id"),
            'The backup entry "files/abc" is listed in manifest.json but is not one a backup '
            "holds (database.sqlite, files/<id>, logs/server_task_<id>.log).",
        ),
        "not sqlite": (
            zip_of({"database.sqlite": b"Date,Amount\n" * 100}),
            "database.sqlite in the backup is not an SQLite database.",
        ),
        "corrupt page": (
            zip_of({"database.sqlite": corrupt_a_page(tmp_path, database)}),
            "database.sqlite in the backup is corrupt…",
        ),
        "newer schema": (
            zip_of({"database.sqlite": newer}),
            "The backup was made by a newer privatefolio-daemon: its database has schema version "
            f"99, and this one knows versions up to {ACCOUNT_SCHEMA_VERSION}. "
            "Upgrade privatefolio-daemon to restore it.",
        ),
        "no database": (
            zip_of({"files/1": b"x"}),
            "The backup has no database.sqlite; it is not a Privatefolio backup.",
        ),
        "newer format": (
            rezip(
                good,
                lambda name, content: (
                    orjson.dumps({**orjson.loads(content), "formatVersion": 2})
                    if name == "manifest.json"
                    else content
                ),
            ),
            "The backup has format version 2, but this privatefolio-daemon reads versions up to "
            "1: upgrade privatefolio-daemon to restore it.",
        ),
    }


def matches(message: str, expected: str) -> bool:
    return message.startswith(expected[:-1]) if expected.endswith("…") else message == expected


def live_state(daemon: Daemon) -> dict[str, object]:
    data = daemon.config.data_dir
    return {
        "database": sha256_file(daemon.accounts.db_path("main")),
        "files": tree_listing(daemon.accounts.files_dir("main")),
        "logs": tree_listing(daemon.accounts.logs_dir("main")),
        "databases dir": sorted(path.name for path in daemon.accounts.databases_dir.iterdir()),
        "staging": tree_listing(data / "restore-staging"),
    }


async def test_each_bad_backup_is_refused_and_the_account_stays_byte_identical(
    daemon: Daemon, good_backup: bytes, tmp_path: Path
) -> None:
    restores: Restores = daemon.backups.restores
    for name, (content, expected) in bad_backups(good_backup, tmp_path).items():
        archive = tmp_path / f"{name}.zip"
        archive.write_bytes(content)
        await checkpoint(daemon, "main")
        before = live_state(daemon)
        with pytest.raises(BackupError) as refused:
            await restores.restore("main", archive, ignore, no_checkpoint)
        assert matches(str(refused.value), expected), (name, str(refused.value))
        await checkpoint(daemon, "main")
        assert live_state(daemon) == before, name


async def test_a_backup_bigger_than_the_limit_is_refused(
    daemon: Daemon, good_backup: bytes, tmp_path: Path
) -> None:
    small = Restores(
        daemon.accounts,
        daemon.events,
        daemon.backups.restores.migrations,
        RestoreLimits(max_uncompressed_bytes=2**20, max_ratio=200),
    )
    archive = tmp_path / "big.zip"
    archive.write_bytes(
        zip_of({"database.sqlite": database_of(good_backup), "files/1": os.urandom(2**20)})
    )
    await checkpoint(daemon, "main")
    before = live_state(daemon)
    with pytest.raises(BackupError) as refused:
        await small.restore("main", archive, ignore, no_checkpoint)
    assert str(refused.value) == (
        "The backup expands to more than 1.0 MiB, the restore limit; it is refused."
    )
    assert live_state(daemon) == before


async def test_a_restore_into_a_missing_account_is_refused(
    daemon: Daemon, good_backup: bytes, tmp_path: Path
) -> None:
    archive = tmp_path / "good.zip"
    archive.write_bytes(good_backup)
    with pytest.raises(NotFoundError) as refused:
        await daemon.backups.restores.restore("ghost", archive, ignore, no_checkpoint)
    assert str(refused.value) == 'Account "ghost" does not exist'
    assert not daemon.accounts.db_path("ghost").exists()


async def test_over_rpc_a_bad_backup_fails_the_task_with_its_message(
    client: DaemonClient, daemon: Daemon, good_backup: bytes
) -> None:
    before = await daemon.accounts.get("main").fetch_all("SELECT * FROM audit_logs ORDER BY id")
    uploaded = await upload(client, daemon, "main", good_backup[: len(good_backup) // 2])
    error = await restore_over_rpc(client, "main", uploaded)
    message = (
        "The backup zip is damaged or truncated (File is not a zip file); it cannot be restored."
    )
    assert error == f"Error: {message}"
    tasks = await client.call("getServerTasks", "main")
    assert (tasks[0]["name"], tasks[0]["status"], tasks[0]["errorMessage"]) == (
        "Restore account",
        "failed",
        f"Error: {message}",
    )
    after = await daemon.accounts.get("main").fetch_all("SELECT * FROM audit_logs ORDER BY id")
    assert after == before


async def test_over_rpc_a_missing_account_or_file_is_refused_at_once(
    client: DaemonClient, good_backup: bytes
) -> None:
    from privatefolio_daemon.client import RpcCallError

    with pytest.raises(RpcCallError) as missing_account:
        await client.call("enqueueRestore", "ghost", "user", {"id": 1})
    assert missing_account.value.message == 'Account "ghost" does not exist'
    with pytest.raises(RpcCallError) as missing_file:
        await client.call("enqueueRestore", "main", "user", {"id": 999})
    assert missing_file.value.message == "Server file 999 does not exist"


async def test_over_rpc_a_backup_with_no_bytes_is_named(client: DaemonClient) -> None:
    """A record said completed whose bytes are gone (deleted after the restore was queued)."""
    await client.call("createAccount", "main")
    record = await client.call(
        "upsertServerFile", "main", {"name": "gone.zip", "status": "completed"}
    )
    error = await restore_over_rpc(client, "main", record)
    assert error == (
        f'Error: Server file {record["id"]} ("gone.zip") has no content any more: it was deleted '
        "after its restore was queued. Upload the backup again."
    )
