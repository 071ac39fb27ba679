"""An account database cut short (empty, or truncated by a crash or a failed copy) is damaged:
the daemon does not start (exit 5) and says how to mend it, as for any damaged file, and an
offline restore mends it. A new account's file, even one a crash cut off, is never so taken."""

import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.test_backup_cli import cli, make_account
from tests.daemon_process import running_daemon
from tests.server.test_startup_errors import serve

PAGE_BYTES = 16384


def refusal(data_dir: Path, account: str, error: str) -> str:
    path = data_dir.resolve() / "databases" / f"{account}.sqlite"
    return (
        f"privatefolio-daemon: Could not open the databases: {path}: {error}. The database of "
        f'account "{account}" is damaged: to start without it, move {account}.sqlite out of '
        f"{path.parent}; or restore a backup into it with the daemon stopped: "
        f"privatefolio-daemon restore --data-dir {data_dir} {account} <backup.zip> (the damaged "
        f"file is kept, as {account}.sqlite.damaged-<ms>).\n"
    )


def refused(data_dir: Path) -> tuple[int, str]:
    result = serve(data_dir)
    assert result.stdout == ""
    return result.returncode, result.stderr


@contextlib.asynccontextmanager
async def connected(port: int, data_dir: Path) -> AsyncIterator[DaemonClient]:
    token = read_or_create_token(data_dir / "auth" / "token")
    async with await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token) as client:
        yield client


def test_an_empty_account_file_is_damaged_and_its_log_is_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    databases = data_dir / "databases"
    databases.mkdir(parents=True)
    data_dir.chmod(0o700)  # as the daemon makes it: one open to others is warned of
    (databases / "main.sqlite").write_bytes(b"")
    empty = refusal(data_dir, "main", "file is empty (0 bytes), not a database")
    assert refused(data_dir) == (5, empty)
    assert sorted(path.name for path in databases.iterdir()) == ["main.sqlite"]

    (databases / "main.sqlite-wal").write_bytes(b"the last writes")  # SQLite would delete it
    assert refused(data_dir) == (5, empty)
    assert (databases / "main.sqlite").read_bytes() == b""
    assert (databases / "main.sqlite-wal").read_bytes() == b"the last writes"


async def test_an_account_file_cut_to_half_or_within_its_last_page_is_damaged(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 300, seed=1)
    path = data_dir / "databases" / "main.sqlite"
    whole = path.read_bytes()
    pages = len(whole) // PAGE_BYTES
    assert (len(whole) % PAGE_BYTES, pages > 4) == (0, True)

    path.write_bytes(whole[: pages // 2 * PAGE_BYTES])
    assert refused(data_dir) == (
        5,
        refusal(
            data_dir,
            "main",
            f"file is cut short: it holds {pages // 2} of the {pages} pages its header counts",
        ),
    )
    cut = len(whole) - 100
    path.write_bytes(whole[:cut])
    assert refused(data_dir) == (
        5,
        refusal(
            data_dir,
            "main",
            f"file is cut short: its {cut:,} bytes end within a page of {PAGE_BYTES:,} bytes",
        ),
    )
    assert path.read_bytes() == whole[:cut]


async def test_an_offline_restore_mends_an_account_file_cut_short(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await make_account(data_dir, 50, seed=1)
    archive = tmp_path / "main.zip"
    assert cli("backup", "main", "-o", str(archive), "--data-dir", str(data_dir)).returncode == 0
    databases = data_dir / "databases"
    (databases / "main.sqlite").write_bytes(b"")

    backup = cli("backup", "main", "-o", str(tmp_path / "b.zip"), "--data-dir", str(data_dir))
    assert (backup.returncode, backup.stderr) == (
        1,
        f"privatefolio-daemon: Could not open the account: {databases / 'main.sqlite'}: file is "
        'empty (0 bytes), not a database. The database of account "main" is damaged: restore a '
        f"backup into it with the daemon stopped: privatefolio-daemon restore --data-dir "
        f"{data_dir} main <backup.zip> (the damaged file is kept, as main.sqlite.damaged-<ms>).\n",
    )
    restored = cli("restore", "main", str(archive), "--data-dir", str(data_dir))
    assert restored.returncode == 0, restored.stderr
    kept = re.search(r"kept as .*/(main\.sqlite\.damaged-\d+)\n", restored.stdout)
    assert kept is not None, restored.stdout
    assert (databases / kept.group(1)).read_bytes() == b""
    with running_daemon(data_dir) as (_, ready):
        async with connected(ready["port"], data_dir) as client:
            assert await client.call("getAccountNames") == ["main"]
            assert await client.call("getValue", "main", "marker") == "seed 1"


async def test_a_new_account_opens_after_a_crash_and_a_cut_off_creation_leaves_none(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    databases = data_dir / "databases"
    databases.mkdir(parents=True)
    (databases / "half-made.sqlite").write_bytes(b"")  # SQLite had not written its first page
    (databases / "half-made.creating").write_bytes(b"")

    with running_daemon(data_dir) as (process, ready):
        async with connected(ready["port"], data_dir) as client:
            assert await client.call("getAccountNames") == []
            await client.call("createAccount", "main")
        assert not list(databases.glob("*.creating"))
        os.kill(process.pid, signal.SIGKILL)  # no close: the new account's log is not emptied
        process.wait(timeout=15)
    assert not list(databases.glob("half-made*"))

    with running_daemon(data_dir) as (_, ready):
        async with connected(ready["port"], data_dir) as client:
            assert await client.call("getAccountNames") == ["main"]
