"""SIGINT or SIGTERM while the daemon starts, here during the copy it makes of a large account
before upgrading its schema, stops it gracefully: one line on stderr after the log's line that
the upgrade began, no traceback, the copy cut off removed; the next start upgrades the account."""

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.conftest import ACCOUNT_SCHEMA_VERSION
from tests.daemon_process import clean_environment, daemon_command, running_daemon

#: Key-value rows of 1,000 characters: an account of about 200 MB, whose copy takes a while.
FILLER_ROWS = 150_000


def account_of_schema_1(data_dir: Path) -> None:
    path = data_dir / "databases" / "main.sqlite"
    path.parent.mkdir(parents=True)
    data_dir.chmod(0o700)  # as the daemon makes it: one open to others is warned of
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(connection, load_migrations(schema_dir("account"))[:1], path)
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO key_value (key, value) SELECT 'filler_' || i, hex(randomblob(500)) "
            "FROM n",
            (FILLER_ROWS,),
        )
    finally:
        connection.close()


def signals_as_in_a_terminal() -> None:
    """SIGINT on its default, whoever started the tests (a shell ignores it in background jobs,
    and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def database_files(data_dir: Path) -> list[str]:
    return sorted(path.name for path in (data_dir / "databases").iterdir())


def wait_for_the_upgrade_copy(data_dir: Path) -> str:
    """The name of the copy, once the daemon has begun to make it."""
    deadline = time.monotonic() + 60
    while not (copies := [name for name in database_files(data_dir) if ".pre-v2-" in name]):
        assert time.monotonic() < deadline, "the daemon did not start to copy the account"
        time.sleep(0.002)
    return copies[0].removesuffix("-journal")


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_during_the_upgrade_copy_stops_the_daemon_gracefully(
    tmp_path: Path, name: str
) -> None:
    data_dir = tmp_path / "data"
    account_of_schema_1(data_dir)
    process = subprocess.Popen(
        daemon_command(data_dir, "--port", "0", "--print-ready"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        preexec_fn=signals_as_in_a_terminal,
    )
    try:
        copy = wait_for_the_upgrade_copy(data_dir)
        process.send_signal(signal.Signals[name])
        ready, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, ready) == (0, ""), errors
    upgrading = (
        f"INFO privatefolio_daemon.store.migrations: Upgrading {data_dir}/databases/main.sqlite "
        f"from schema 1 to {ACCOUNT_SCHEMA_VERSION}; copying it first to {copy}"
    )
    [logged, stopped] = errors.splitlines()
    assert (logged.split(" ", 2)[2], stopped) == (
        upgrading,
        f"privatefolio-daemon: Stopped by {name} during start-up.",
    )
    assert database_files(data_dir) == ["main.sqlite"]
    assert (data_dir / "daemon.lock").read_text() == ""

    with running_daemon(data_dir):
        copies = [file for file in database_files(data_dir) if ".pre-v2-" in file]
        assert len(copies) == 1, database_files(data_dir)
    with sqlite3.connect(data_dir / "databases" / "main.sqlite") as connection:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        rows = connection.execute("SELECT COUNT(*) FROM key_value WHERE key LIKE 'filler_%'")
        assert (version, rows.fetchone()[0]) == (ACCOUNT_SCHEMA_VERSION, FILLER_ROWS)
