"""An export cut off by a crash, or whose file is deleted while it is written, leaves no bytes
behind, and a crash leaves its record aborted, as an upload's is."""

import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.server.credentials import read_or_create_token
from tests.backup.helpers import fill_account
from tests.conftest import make_config, running_daemon
from tests.daemon_process import running_daemon as daemon_process

#: Enough audit logs for an export to take a while: the tests act while it writes.
ROWS = 200_000


async def account_with_many_audit_logs(data_dir: Path) -> None:
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "main")
        await daemon.accounts.get("main").write(lambda conn: fill_account(conn, ROWS))


def partials(files_dir: Path) -> list[Path]:
    return list(files_dir.glob(".*.partial")) if files_dir.exists() else []


async def export_under_way(files_dir: Path) -> None:
    """Once the export writes its partial file."""
    for _ in range(3000):
        if await asyncio.to_thread(partials, files_dir):
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the export did not start writing")


async def test_an_export_cut_off_by_a_crash_is_aborted_and_its_bytes_removed(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    await account_with_many_audit_logs(data_dir)
    files_dir = data_dir / "files" / "main"
    with daemon_process(data_dir) as (process, ready):
        token = read_or_create_token(data_dir / "auth" / "token")
        url = f"ws://127.0.0.1:{ready['port']}/"
        async with await DaemonClient.connect(url, token=token) as client:
            export = asyncio.ensure_future(client.call("enqueueExportAuditLogs", "main", "user"))
            await export_under_way(files_dir)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=15)
            with pytest.raises(ConnectionError):
                await export
    async with running_daemon(make_config(data_dir)) as (_, client):
        [record] = await client.call("getServerFiles", "main")
        assert (record["name"], record["status"]) == ("main-audit-logs.csv", "aborted")
        assert list(files_dir.iterdir()) == []


DELETED_MEANWHILE = (
    "Export all audit logs failed: Server file 1 was deleted while it was being written"
)


async def export_removed_meanwhile(
    tmp_path: Path, remove: Callable[[DaemonClient, Path], Awaitable[object]]
) -> tuple[str, list[dict[str, Any]]]:
    """Export while ``remove`` takes the file away: the failure's message, then the records."""
    data_dir = tmp_path / "data"
    await account_with_many_audit_logs(data_dir)
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        files_dir = daemon.accounts.files_dir("main")
        export = asyncio.ensure_future(client.call("enqueueExportAuditLogs", "main", "user"))
        await export_under_way(files_dir)
        await remove(client, files_dir)
        with pytest.raises(RpcCallError) as failure:
            await export
        assert list(files_dir.iterdir()) == []
        return failure.value.message, await client.call("getServerFiles", "main")


async def test_a_file_deleted_while_it_is_exported_leaves_no_bytes(tmp_path: Path) -> None:
    async def delete(client: DaemonClient, _: Path) -> None:
        await client.call("deleteServerFile", "main", 1)

    assert await export_removed_meanwhile(tmp_path, delete) == (DELETED_MEANWHILE, [])


async def test_bytes_removed_before_the_record_fail_the_export_by_name(tmp_path: Path) -> None:
    """``deleteServerFile`` removes the bytes, then the record: an export that ends between
    the two, or whose partial file anything else removed, names the file, not an errno."""

    async def remove_bytes(_: DaemonClient, files_dir: Path) -> None:
        for partial in partials(files_dir):
            partial.unlink()

    message, [record] = await export_removed_meanwhile(tmp_path, remove_bytes)
    assert (message, record["status"]) == (DELETED_MEANWHILE, "aborted")
