"""SIGTERM while the jobs overdue at start are being queued stops the daemon as any stop does:
the runs in flight are cut off, and nothing is logged as an error."""

import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import orjson

from tests.conftest import make_config
from tests.conftest import running_daemon as daemon_in_process
from tests.daemon_process import running_daemon

ACCOUNTS = [f"account {number}" for number in range(12)]
ACCOUNT_JOBS = ("networth", "metadata", "task-history")
SERVER_JOBS = ("health-metrics", "system-info", "log-rotation")


async def accounts_whose_jobs_are_overdue(data_dir: Path) -> None:
    """Accounts whose jobs last ran in 1970, as after a long time off."""
    async with daemon_in_process(make_config(data_dir)) as (_, client):
        for account in ACCOUNTS:
            await client.call("createAccount", account)
    jobs = [*SERVER_JOBS, *(f"{job}:{account}" for job in ACCOUNT_JOBS for account in ACCOUNTS)]
    with closing(sqlite3.connect(data_dir / "server.sqlite")) as connection, connection:
        connection.executemany(
            "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, 1000)",
            [(f"cronLastRun:{job}",) for job in jobs],
        )


def logged_levels(data_dir: Path) -> list[str]:
    return [
        orjson.loads(line)["level"]
        for path in sorted((data_dir / "server-logs").iterdir())
        for line in path.read_text().splitlines()
    ]


async def test_sigterm_while_overdue_jobs_are_queued_logs_no_error(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await accounts_whose_jobs_are_overdue(data_dir)

    with running_daemon(data_dir, crons=True) as (process, _):
        process.send_signal(signal.SIGTERM)  # the crons started before the ready line
        _, errors = process.communicate(timeout=60)

    assert process.returncode == 0, errors
    assert [line for line in errors.splitlines() if " ERROR " in line or "Traceback" in line] == []
    assert "error" not in logged_levels(data_dir)
    assert "cut off by the stop" in errors  # the stop came while jobs ran
