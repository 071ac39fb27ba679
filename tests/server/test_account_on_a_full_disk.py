"""An account that cannot be created (a full disk, say) leaves no file behind, which would open
as an account at the next start; on a full disk the message says so."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.daemon_process import running_daemon

#: Room for the server's database, not for a new account's (its log passes 2 MB).
ROOM = 1_000_000


async def refused_creation(data_dir: Path, file_size_limit: int | None = None) -> RpcCallError:
    """``createAccount("second")`` refused; the daemon lists no account meanwhile."""
    with running_daemon(data_dir, file_size_limit=file_size_limit) as (_, ready):
        async with await client_of(data_dir, ready["port"]) as client:
            with pytest.raises(RpcCallError) as refused:
                await client.call("createAccount", "second")
            assert await client.call("getAccountNames") == []
    return refused.value


async def names_after_a_restart(data_dir: Path) -> list[str]:
    with running_daemon(data_dir) as (_, ready):
        async with await client_of(data_dir, ready["port"]) as client:
            names: list[str] = await client.call("getAccountNames")
            return names


async def client_of(data_dir: Path, port: int) -> DaemonClient:
    token = read_or_create_token(data_dir / "auth" / "token")
    return await DaemonClient.connect(f"ws://127.0.0.1:{port}/", token=token)


@contextlib.contextmanager
def small_disk(path: Path) -> Iterator[Path]:
    """A file system of ``ROOM`` bytes at ``path`` (Linux, as root)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={ROOM}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def free_space(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)


@pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="mounting a small disk needs root"
)
async def test_an_account_not_created_on_a_full_disk_says_so(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        data_dir = disk / "data"
        refused = await refused_creation(data_dir)
        assert (refused.code, refused.message) == (
            -32004,
            f'The disk is full: account "second" could not be created in {data_dir}/databases. '
            "Free some space, then create it again.",
        )
        assert list((data_dir / "databases").iterdir()) == []
        free_space(disk)
        assert await names_after_a_restart(data_dir) == []


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
async def test_an_account_whose_file_cannot_be_written_leaves_no_file(tmp_path: Path) -> None:
    """Files limited in size: SQLite's write fails ("disk I/O error") as the log grows."""
    data_dir = tmp_path / "data"
    refused = await refused_creation(data_dir, file_size_limit=ROOM)
    assert refused.code == -32603
    assert refused.message.startswith(f"{data_dir}/databases/second.sqlite: ")
    assert refused.message.endswith("disk I/O error")
    assert list((data_dir / "databases").iterdir()) == []
    assert await names_after_a_restart(data_dir) == []
