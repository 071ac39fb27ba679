"""Ctrl-C during ``privatefolio-daemon restore``, on the data dir or through a running daemon,
stops the restore before its swap, leaves no trace of it (an account it created is removed), and
says so without a traceback."""

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import restored_digests
from tests.backup.test_backup_cli import cli, make_account
from tests.backup.test_restore_into_new_account import traces_of
from tests.daemon_process import clean_environment, running_daemon

LEDGER = ("transactions", "tags")
CHECKING = b"Checking the backup archive"
INTERRUPTED = "privatefolio-daemon: The restore was interrupted; the account is as it was.\n"


def with_a_large_file(backup: Path, large: Path) -> None:
    """The backup with a big file added (and listed), so that checking it takes a while."""
    content = os.urandom(96 * 2**20)
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(large, "w") as target:
        manifest = orjson.loads(source.read("manifest.json"))
        manifest["entries"].append(
            {"name": "files/1", "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        )
        for entry in source.infolist():
            if entry.filename != "manifest.json":
                target.writestr(entry, source.read(entry))
        target.writestr("manifest.json", orjson.dumps(manifest))
        target.writestr("files/1", content)


def ctrl_c_as_in_a_terminal() -> None:
    """SIGINT on its default, whoever started the tests (a shell ignores it in background jobs,
    and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted(archive: Path, account: str, when: bytes, *arguments: str) -> tuple[int, str]:
    """Run the restore and press Ctrl-C once its output shows ``when``."""
    command = [sys.executable, "-m", "privatefolio_daemon", "restore", account, str(archive)]
    process = subprocess.Popen(
        [*command, *arguments],
        stderr=subprocess.PIPE,
        env=clean_environment(),
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + 60
    while when not in seen and time.monotonic() < deadline:
        chunk = os.read(process.stderr.fileno(), 4096)
        assert chunk, seen.decode()
        seen += chunk
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    return process.wait(timeout=60), (seen + rest).decode()


@pytest.fixture
async def scene(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """A data dir with the account "main", and a large backup of it."""
    data_dir = tmp_path / "data"
    original = await make_account(data_dir, 50, seed=1)
    backup = tmp_path / "main.zip"
    assert cli("backup", "main", "-o", str(backup), "--data-dir", str(data_dir)).returncode == 0
    archive = tmp_path / "large.zip"
    with_a_large_file(backup, archive)
    return data_dir, original, archive


def assert_nothing_left(
    data_dir: Path, original: dict[str, str], code: int, stderr: str, ledger_only: bool = False
) -> None:
    assert code == 1, stderr
    assert stderr.endswith(INTERRUPTED)
    assert "Traceback" not in stderr
    assert traces_of(data_dir, "brandnew") == []
    assert sorted(path.name for path in (data_dir / "databases").iterdir()) == ["main.sqlite"]
    assert list((data_dir / "restore-staging").glob("*/*")) == []
    kept = restored_digests(data_dir / "databases" / "main.sqlite")
    if ledger_only:  # a daemon that ran derives balances again
        kept, original = ({table: tables[table] for table in LEDGER} for tables in (kept, original))
    assert kept == original


async def test_ctrl_c_stops_a_restore_on_the_data_dir(
    scene: tuple[Path, dict[str, str], Path],
) -> None:
    data_dir, original, archive = scene
    code, stderr = interrupted(archive, "brandnew", CHECKING, "--data-dir", str(data_dir))
    assert_nothing_left(data_dir, original, code, stderr)


async def test_ctrl_c_while_uploading_removes_the_account_it_created(
    scene: tuple[Path, dict[str, str], Path],
) -> None:
    data_dir, original, archive = scene
    with running_daemon(data_dir) as (_, ready):
        port = str(ready["port"])
        code, stderr = interrupted(
            archive, "brandnew", b"Upload", "--data-dir", str(data_dir), "--port", port
        )
        async with connected(data_dir, port) as client:
            assert await client.call("getAccountNames") == ["main"]
    assert_nothing_left(data_dir, original, code, stderr, ledger_only=True)


async def test_ctrl_c_cancels_the_daemons_restore_task(
    scene: tuple[Path, dict[str, str], Path],
) -> None:
    """The restore waits behind a running task, so Ctrl-C finds it before its swap."""
    data_dir, original, archive = scene
    with running_daemon(data_dir, "--no-crons") as (_, ready):
        port = str(ready["port"])
        async with connected(data_dir, port) as client:
            sleeping = await client.call("enqueueSleep", "main", 600)
            code, stderr = interrupted(
                archive, "main", b"Restore of main", "--data-dir", str(data_dir), "--port", port
            )
            queue = await client.call("getTaskQueue", "main")
            assert (queue["running"]["id"], queue["queued"]) == (sleeping, [])
            await client.call("cancelTask", "main", sleeping)
    assert code == 1, stderr
    assert stderr.endswith(INTERRUPTED)
    kept = restored_digests(data_dir / "databases" / "main.sqlite")
    assert {table: kept[table] for table in LEDGER} == {table: original[table] for table in LEDGER}


@contextlib.asynccontextmanager
async def connected(data_dir: Path, port: str) -> AsyncIterator[DaemonClient]:
    token = read_or_create_token(data_dir / "auth" / "token")
    async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
        yield client
