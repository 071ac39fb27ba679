"""Crons: scheduled per account from its settings, re-scheduled at once, missed runs coalesced."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.conftest import make_config, offline_daemon, running_daemon, ws_url

DAY = 86_400_000


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
        rows = await db.fetch_all(
            "SELECT name, trigger FROM server_tasks WHERE trigger = 'cron' ORDER BY id"
        )
        if len(rows) >= 4:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    rows = await db.fetch_all(
        "SELECT name, trigger FROM server_tasks WHERE trigger = 'cron' ORDER BY id"
    )
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


async def test_system_info_is_stored_at_start_and_on_its_interval(cron_daemon: Daemon) -> None:
    async with await DaemonClient.connect(
        ws_url(cron_daemon), token=cron_daemon.credentials.desktop_token()
    ) as client:
        for _ in range(100):
            info = await client.call("getSystemInfo")
            if info is not None:
                break
            await asyncio.sleep(0.05)
        assert info is not None and info["cpuCores"] >= 1 and info["memory"] > 0
        assert info["nodeVersion"].startswith("Python ")
        job = cron_daemon.crons.job("system-info")
        assert job.trigger.interval == timedelta(minutes=10080)
        await client.call("updateServerSettings", {"systemInfoInterval": 60})
        job = cron_daemon.crons.job("system-info")
        assert job.trigger.interval == timedelta(minutes=60)


def last_runs(data: Path) -> dict[str, int]:
    with closing(sqlite3.connect(data / "server.sqlite")) as server:
        rows = server.execute("SELECT key, value FROM key_value WHERE key LIKE 'cronLastRun:%'")
        return {key.removeprefix("cronLastRun:"): value for key, value in rows}


def set_last_runs(data: Path, runs: dict[str, int]) -> None:
    with closing(sqlite3.connect(data / "server.sqlite")) as server, server:
        server.executemany(
            "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)",
            [(f"cronLastRun:{job_id}", at) for job_id, at in runs.items()],
        )


async def cron_tasks(daemon: Daemon, count: int) -> list[tuple[str, int]]:
    db = daemon.accounts.get("main")
    for _ in range(200):
        rows = await db.fetch_all("SELECT name, createdAt FROM server_tasks WHERE trigger = 'cron'")
        if len(rows) >= count:
            break
        await asyncio.sleep(0.02)
    return [(name, created) for name, created in rows]


def ms_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def test_a_job_run_is_kept_and_a_restart_counts_from_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = offline_daemon(make_config(data, crons=True))
    await first.start()
    await first.accounts.create("main")
    first.crons.job("networth:main").modify(next_run_time=datetime.now(UTC))
    first.crons.wake()
    (_, started), *_ = await cron_tasks(first, 4)
    await first.stop()
    assert started - 1000 <= last_runs(data)["networth:main"] <= started

    now = ms_of(datetime.now(UTC))
    set_last_runs(data, {"networth:main": now - 20 * 60_000, "metadata:main": now - 2 * DAY})
    second = offline_daemon(make_config(data, crons=True))
    await second.start()
    try:
        networth = ms_of(second.crons.job("networth:main").next_run_time)
        metadata = ms_of(second.crons.job("metadata:main").next_run_time)
    finally:
        await second.stop()
    assert abs(networth - (now + 40 * 60_000)) < 1000  # 60 min after its last run, not after start
    assert abs(metadata - (now + 5 * DAY)) < 1000  # a week after its last run


async def test_a_job_overdue_at_start_runs_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = offline_daemon(make_config(data, crons=True))
    await first.start()
    await first.accounts.create("main")
    await first.stop()
    set_last_runs(data, {"networth:main": ms_of(datetime.now(UTC)) - 3 * 3_600_000})

    daemon = offline_daemon(make_config(data, crons=True))
    await daemon.start()
    try:
        tasks = await cron_tasks(daemon, 4)
        next_run = daemon.crons.job("networth:main").next_run_time
    finally:
        await daemon.stop()
    assert [name for name, _ in tasks] == [
        "Refresh balances",
        "Fetch asset prices",
        "Refresh networth",
        "Refresh trades",
    ]
    assert timedelta(minutes=59) < next_run - datetime.now(UTC) <= timedelta(minutes=60, seconds=31)


async def test_a_job_once_runs_when_the_scheduler_starts_and_not_again() -> None:
    from privatefolio_daemon.relayer.crons import Crons

    runs: list[str] = []

    async def job(name: str) -> None:
        runs.append(name)

    crons = Crons(enabled=True, jitter_seconds=0)
    crons.once("kept", lambda: job("kept"))
    crons.once("removed", lambda: job("removed"))
    crons.remove("removed")
    await asyncio.sleep(0.05)
    assert runs == []  # not before the scheduler starts
    crons.start()
    try:
        crons.once("later", lambda: job("later"))  # at once when it runs already
        for _ in range(100):
            if len(runs) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert sorted(runs) == ["kept", "later"]
        assert crons.job("kept") is None and crons.job("later") is None
    finally:
        crons.shutdown()
    disabled = Crons(enabled=False)
    disabled.once("never", lambda: job("never"))
    disabled.start()
    assert "never" not in runs


async def test_a_job_that_never_ran_counts_from_when_it_was_first_scheduled(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    before = ms_of(datetime.now(UTC))
    first = offline_daemon(make_config(data, crons=True))
    await first.start()
    await first.accounts.create("main")
    after = ms_of(datetime.now(UTC))
    await first.stop()
    scheduled = last_runs(data)
    for job_id in ("metadata:main", "networth:main", "health-metrics", "log-rotation"):
        assert before <= scheduled[job_id] <= after

    second = offline_daemon(make_config(data, crons=True))  # the laptop, the next morning
    await second.start()
    try:
        metadata = ms_of(second.crons.job("metadata:main").next_run_time)
        rotation = ms_of(second.crons.job("log-rotation").next_run_time)
    finally:
        await second.stop()
    assert abs(metadata - (scheduled["metadata:main"] + 7 * DAY)) <= 1  # not pushed back
    assert abs(rotation - (scheduled["log-rotation"] + DAY)) <= 1
    assert last_runs(data) == scheduled


def store_setting_values(database: Path, settings: dict[str, object]) -> None:
    """Settings as an older version, or an edit on disk, left them."""
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(
            "INSERT OR REPLACE INTO key_value (key, value) VALUES ('settings', ?)",
            (orjson.dumps(settings).decode(),),
        )


@pytest.mark.parametrize("stored", [-5, 0, "abc", None, [1], 10**12])
async def test_stored_intervals_that_cannot_be_scheduled_get_their_defaults(
    tmp_path: Path, stored: object
) -> None:
    data = tmp_path / "data"
    first = offline_daemon(make_config(data, crons=True))
    await first.start()
    await first.accounts.create("main")
    await first.stop()
    store_setting_values(data / "server.sqlite", {"healthMetricsInterval": stored})
    store_setting_values(
        data / "databases" / "main.sqlite",
        {
            "networthRefreshInterval": stored,
            "metadataRefreshInterval": stored,
            "backupInterval": stored,
        },
    )
    set_last_runs(data, {"networth:main": 10**18})  # no date either

    async with running_daemon(make_config(data, crons=True)) as (daemon, client):
        assert await client.call("ping") == "pong"
        server_settings = await client.call("getServerSettings")
        jobs = {
            job_id: daemon.crons.job(job_id)
            for job_id in ("health-metrics", "networth:main", "metadata:main", "backup:main")
        }
    assert server_settings["healthMetricsInterval"] == 60
    assert jobs["health-metrics"].trigger.interval == timedelta(minutes=60)
    assert jobs["networth:main"].trigger.interval == timedelta(minutes=60)
    assert jobs["metadata:main"].trigger.interval == timedelta(minutes=10080)
    assert jobs["backup:main"] is None  # off, as by default
    now = datetime.now(UTC)
    assert now < jobs["networth:main"].next_run_time <= now + timedelta(minutes=60, seconds=31)


async def test_an_interval_that_cannot_be_scheduled_is_not() -> None:
    from privatefolio_daemon.relayer.crons import Crons

    async def job() -> None:
        pass

    crons = Crons(enabled=True, jitter_seconds=0)
    crons.start()
    try:
        for minutes in (-5, 0, 0.001, float("nan"), float("inf"), 10**12):
            crons.every("job", minutes, job)
            assert crons.job("job") is None
        crons.every("job", 60, job)
        assert crons.job("job").trigger.interval == timedelta(minutes=60)
    finally:
        await crons.stop()
