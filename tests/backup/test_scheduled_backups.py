"""Scheduled backups: off by default, every ``backupInterval`` minutes once set, keep the last N."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.conftest import make_config, running_daemon, ws_url


@pytest.fixture
async def cron_daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    daemon = Daemon(make_config(tmp_path / "data", crons=True))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def test_backup_interval_schedules_backups_and_zero_stops_them(cron_daemon: Daemon) -> None:
    async with await DaemonClient.connect(
        ws_url(cron_daemon), token=cron_daemon.credentials.desktop_token()
    ) as client:
        await client.call("createAccount", "main")
        assert cron_daemon.crons.job("backup:main") is None
        await client.call("updateSettings", "main", {"backupInterval": 1440})
        job = cron_daemon.crons.job("backup:main")
        assert job.trigger.interval == timedelta(minutes=1440)

        await job.func()  # what the scheduler runs when the interval has passed
        for _ in range(500):  # the file is completed just before its task is
            tasks = [
                t for t in await client.call("getServerTasks", "main") if t["name"] == "Backup"
            ]
            files = await client.call("getServerFiles", "main")
            if tasks and tasks[0]["status"] == "completed":
                break
            await asyncio.sleep(0.02)
        assert [(f["name"], f["createdBy"], f["status"]) for f in files] == [
            ("main-backup.zip", "system", "completed")
        ]
        assert [(t["name"], t["trigger"], t["status"]) for t in tasks] == [
            ("Backup", "cron", "completed")
        ]

        await client.call("updateSettings", "main", {"backupInterval": 0})
        assert cron_daemon.crons.job("backup:main") is None
        with pytest.raises(RpcCallError) as refused:
            await client.call("updateSettings", "main", {"backupInterval": -5})
        assert refused.value.message == (
            "backupInterval must be a whole number of minutes (0 turns scheduled backups off)"
        )


async def test_scheduled_backups_go_on_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running_daemon(make_config(data, crons=True)) as (_, client):
        await client.call("createAccount", "main")
        await client.call("updateSettings", "main", {"backupInterval": 1})

    async with running_daemon(make_config(data, crons=True)) as (daemon, client):
        job = daemon.crons.job("backup:main")
        assert job.trigger.interval == timedelta(minutes=1)
        await job.func()  # what the scheduler runs when the minute has passed
        for _ in range(500):
            tasks = await client.call("getServerTasks", "main")
            backups = [(t["name"], t["trigger"], t["status"]) for t in tasks]
            if ("Backup", "cron", "completed") in backups:
                break
            await asyncio.sleep(0.02)
    assert ("Backup", "cron", "completed") in backups
