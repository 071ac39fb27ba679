"""When an account's jobs last ran follows the account: a renamed account's jobs go on from their
last runs, and a deleted account's are forgotten, so that a new account of that name starts its
own schedule."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from tests.conftest import make_config, offline_daemon, running_daemon
from tests.relayer.test_crons import DAY, last_runs, ms_of, set_last_runs

MINUTE = 60_000


async def account_whose_jobs_ran(data: Path) -> dict[str, int]:
    """Account "main", whose net worth refresh ran 20 minutes ago and metadata refresh 2 days
    ago; returns those last runs."""
    first = offline_daemon(make_config(data, crons=True))
    await first.start()
    await first.accounts.create("main")
    await first.stop()
    now = ms_of(datetime.now(UTC))
    runs = {"networth:main": now - 20 * MINUTE, "metadata:main": now - 2 * DAY}
    set_last_runs(data, runs)
    return runs


def next_run(daemon: Daemon, job_id: str) -> int:
    return ms_of(daemon.crons.job(job_id).next_run_time)


def of_account(runs: dict[str, int], account: str) -> dict[str, int]:
    return {job_id: at for job_id, at in runs.items() if job_id.endswith(f":{account}")}


@pytest.mark.parametrize("crons", [True, False])
async def test_a_renamed_account_keeps_when_its_jobs_last_ran(tmp_path: Path, crons: bool) -> None:
    data = tmp_path / "data"
    ran = await account_whose_jobs_ran(data)

    async with running_daemon(make_config(data, crons=crons)) as (daemon, client):
        await client.call("renameAccount", "main", "renamed")
        if crons:
            # An hour after its last run, not after the rename; a week for the metadata.
            networth = next_run(daemon, "networth:renamed")
            metadata = next_run(daemon, "metadata:renamed")
            assert abs(networth - (ran["networth:main"] + 60 * MINUTE)) <= 1
            assert abs(metadata - (ran["metadata:main"] + 7 * DAY)) <= 1

    runs = last_runs(data)
    assert of_account(runs, "main") == {}
    assert {job_id: runs[job_id] for job_id in ("networth:renamed", "metadata:renamed")} == {
        "networth:renamed": ran["networth:main"],
        "metadata:renamed": ran["metadata:main"],
    }


async def test_a_deleted_account_forgets_when_its_jobs_last_ran(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await account_whose_jobs_ran(data)

    async with running_daemon(make_config(data, crons=True)) as (_, client):
        await client.call("deleteAccount", "main")
    assert of_account(last_runs(data), "main") == {}
    assert "health-metrics" in last_runs(data)

    async with running_daemon(make_config(data, crons=True)) as (daemon, client):
        created = ms_of(datetime.now(UTC))
        await client.call("createAccount", "main")
        # A new account of that name: its first refresh an hour after its creation.
        assert next_run(daemon, "networth:main") >= created + 60 * MINUTE
