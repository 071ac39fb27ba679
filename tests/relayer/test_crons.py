"""Crons: scheduled per account from its settings, re-scheduled at once, missed runs coalesced."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.conftest import make_config, offline_daemon, ws_url


@pytest.fixture
async def cron_daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    daemon = offline_daemon(make_config(tmp_path / "data", crons=True))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def test_settings_change_reschedules_the_networth_cron(cron_daemon: Daemon) -> None:
    async with await DaemonClient.connect(
        ws_url(cron_daemon), token=cron_daemon.credentials.desktop_token()
    ) as client:
        await client.call("createAccount", "main")
        job = cron_daemon.crons.job("networth:main")
        assert job.trigger.interval == timedelta(minutes=60)
        assert cron_daemon.crons.job("metadata:main").trigger.interval == timedelta(minutes=10080)
        await client.call("updateSettings", "main", {"networthRefreshInterval": 15})
        job = cron_daemon.crons.job("networth:main")
        assert job.trigger.interval == timedelta(minutes=15)
        now = datetime.now(UTC)
        assert now < job.next_run_time <= now + timedelta(minutes=15, seconds=31)
        assert cron_daemon.crons.job("health-metrics").trigger.interval == timedelta(minutes=60)
        await client.call("updateServerSettings", {"healthMetricsInterval": 5})
        assert cron_daemon.crons.job("health-metrics").trigger.interval == timedelta(minutes=5)


async def test_missed_runs_after_a_sleep_coalesce_into_one(cron_daemon: Daemon) -> None:
    await cron_daemon.accounts.create("main")
    db = cron_daemon.accounts.get("main")
    job = cron_daemon.crons.job("networth:main")
    job.modify(next_run_time=datetime.now(UTC) - timedelta(hours=5))  # the machine slept 5 runs
    cron_daemon.crons.wake()
    for _ in range(100):
        rows = await db.fetch_all("SELECT name, trigger FROM server_tasks ORDER BY id")
        if len(rows) >= 4:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    rows = await db.fetch_all("SELECT name, trigger FROM server_tasks ORDER BY id")
    assert rows == [
        ("Refresh balances", "cron"),
        ("Fetch asset prices", "cron"),
        ("Refresh networth", "cron"),
        ("Refresh trades", "cron"),
    ]
    assert cron_daemon.crons.job("networth:main").next_run_time > datetime.now(UTC)


async def test_deleting_an_account_removes_its_crons(cron_daemon: Daemon) -> None:
    await cron_daemon.accounts.create("main")
    assert cron_daemon.crons.job("networth:main") is not None
    await cron_daemon.accounts.delete("main")
    assert cron_daemon.crons.job("networth:main") is None
    assert cron_daemon.crons.job("metadata:main") is None


async def test_health_metrics_job_records_a_row(cron_daemon: Daemon) -> None:
    async with await DaemonClient.connect(
        ws_url(cron_daemon), token=cron_daemon.credentials.desktop_token()
    ) as client:
        seen: list[tuple[()]] = []
        await client.call("subscribeToServerHealth", lambda: seen.append(()))
        job = cron_daemon.crons.job("health-metrics")
        job.modify(next_run_time=datetime.now(UTC) - timedelta(minutes=1))
        cron_daemon.crons.wake()
        for _ in range(100):
            rows = await client.call("getServerHealth")
            if rows:
                break
            await asyncio.sleep(0.05)
        assert len(rows) == 1
        assert set(rows[0]) == {
            "id",
            "timestamp",
            "cpuUsage",
            "memoryUsed",
            "memoryTotal",
            "memoryUsage",
            "diskUsed",
            "diskTotal",
            "diskUsage",
            "processCount",
            "uptime",
        }
        await client.call("ping")
        assert seen == [()]
        stats = await client.call("getHealthStats")
        assert stats["count"] == 1
