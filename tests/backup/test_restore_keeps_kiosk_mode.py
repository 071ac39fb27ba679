"""A restore keeps the account's ``kioskMode`` as it was: a backup cannot let guests in, nor shut
out the wall display the user set up."""

from pathlib import Path

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.backup.helpers import download, restore_over_rpc, upload
from tests.backup.test_backup_cli import cli
from tests.conftest import make_config, running_daemon
from tests.server.test_kiosk_mode import UNAUTHORIZED, guest_call, setup_status

KEPT_OFF = "Kiosk mode stays off, as it was before the restore (the backup had it on)"
KEPT_ON = "Kiosk mode stays on, as it was before the restore (the backup had it off)"


async def backup_with_kiosk_mode(client: DaemonClient, daemon: Daemon, on: bool) -> bytes:
    await client.call("updateSettings", "main", {"kioskMode": on})
    record = await client.call("enqueueBackup", "main")
    return await download(daemon, "main", record["id"])


async def restore_log(client: DaemonClient) -> str:
    tasks = await client.call("getServerTasks", "main")
    restore = next(task for task in tasks if task["name"] == "Restore account")
    log: str = await client.call("getServerTaskLog", "main", restore["id"])
    return log


async def test_a_backup_made_in_kiosk_mode_does_not_turn_it_on(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    backup = await backup_with_kiosk_mode(client, daemon, on=True)
    await client.call("updateSettings", "main", {"kioskMode": False})

    uploaded = await upload(client, daemon, "main", backup)
    assert await restore_over_rpc(client, "main", uploaded) is None

    assert (await client.call("getSettings", "main"))["kioskMode"] is False
    assert await setup_status(daemon) == {"needsSetup": True, "kioskMode": False}
    assert await guest_call(daemon, "getAccountNames") == UNAUTHORIZED
    assert KEPT_OFF in await restore_log(client)
    changes = (await client.call("getChanges", "main"))["changes"]
    settings = [change["record"] for change in changes if change["entity"] == "settings"]
    assert [record["kioskMode"] for record in settings] == [False]


async def test_a_backup_made_without_kiosk_mode_keeps_the_wall_display(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    backup = await backup_with_kiosk_mode(client, daemon, on=False)
    await client.call("updateSettings", "main", {"kioskMode": True})

    uploaded = await upload(client, daemon, "main", backup)
    assert await restore_over_rpc(client, "main", uploaded) is None

    assert (await client.call("getSettings", "main"))["kioskMode"] is True
    assert (await guest_call(daemon, "getAccountNames"))["result"] == ["main"]
    assert KEPT_ON in await restore_log(client)


async def test_the_restore_command_does_not_turn_kiosk_mode_on(tmp_path: Path) -> None:
    data_dir, archive = tmp_path / "data", tmp_path / "kiosk.zip"
    async with running_daemon(make_config(data_dir)) as (daemon, client):
        await client.call("createAccount", "main")
        archive.write_bytes(await backup_with_kiosk_mode(client, daemon, on=True))
        await client.call("updateSettings", "main", {"kioskMode": False})

    for account in ("main", "brandnew"):
        restored = cli("restore", account, str(archive), "--data-dir", str(data_dir))
        assert restored.returncode == 0, restored.stderr

    async with running_daemon(make_config(data_dir)) as (daemon, client):
        assert sorted(await client.call("getAccountNames")) == ["brandnew", "main"]
        for account in ("main", "brandnew"):
            assert (await client.call("getSettings", account))["kioskMode"] is False
        assert await guest_call(daemon, "getAccountNames") == UNAUTHORIZED
