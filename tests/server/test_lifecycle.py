"""Start-up and shutdown of the real process: readiness, single instance, ports, signals."""

import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import orjson

from privatefolio_daemon.server.credentials import read_or_create_token
from tests.conftest import ACCOUNT_SCHEMA_VERSION
from tests.daemon_process import clean_environment, daemon_command, running_daemon


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_print_ready_reports_a_port_that_answers_ping(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "data") as (process, ready):
        assert set(ready) == {"port", "pid", "dataDir", "tokenFile"}
        assert ready["pid"] == process.pid
        assert ready["dataDir"] == str((tmp_path / "data").resolve())
        assert Path(ready["tokenFile"]).read_text().strip()
        assert get(f"http://127.0.0.1:{ready['port']}/ping") == "pong"
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700  # a new data dir is the user's


def test_a_second_instance_on_the_same_data_dir_exits_with_code_3(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "data") as (first, _):
        second = subprocess.run(
            daemon_command(tmp_path / "data", "--port", "0"),
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environment(),
        )
        assert second.returncode == 3
        assert f"Another privatefolio-daemon (pid {first.pid}) is already using" in second.stderr
        assert first.poll() is None


def test_a_port_in_use_gives_a_clear_message(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "one") as (_, ready):
        port = str(ready["port"])
        second = subprocess.run(
            daemon_command(tmp_path / "two", "--port", port),
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environment(),
        )
    assert second.returncode == 4
    assert f"Port {port} on 127.0.0.1 is already in use" in second.stderr


def call_without_a_port(
    data_dir: Path, method: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", "call", "--data-dir", str(data_dir), method,
         *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )  # fmt: skip


def test_the_command_line_finds_a_daemon_on_any_port_through_its_data_dir(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir) as (process, ready):
        assert call_without_a_port(data_dir, "createAccount", '"main"').returncode == 0
        names = call_without_a_port(data_dir, "getAccountNames")
        assert names.returncode == 0, names.stderr
        assert '"main"' in names.stdout
        address = orjson.loads((data_dir / "daemon.json").read_bytes())
        assert address == {"pid": process.pid, "host": "127.0.0.1", "port": ready["port"]}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert not (data_dir / "daemon.json").exists()
    stopped = call_without_a_port(data_dir, "ping")
    assert stopped.returncode == 1
    assert stopped.stderr == (
        f"privatefolio-daemon: no daemon runs on {data_dir}. Start one with "
        "`privatefolio-daemon serve` on the same --data-dir.\n"
    )


def test_sigterm_shuts_down_cleanly_and_closes_the_databases(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_daemon(data_dir) as (process, ready):
        call = subprocess.run(
            [
                sys.executable,
                "-m",
                "privatefolio_daemon",
                "call",
                "--data-dir",
                str(data_dir),
                "--port",
                str(ready["port"]),
                "createAccount",
                '"main"',
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_environment(),
        )
        assert call.returncode == 0, call.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert not (data_dir / "databases" / "main.sqlite-wal").exists()
    assert not (data_dir / "server.sqlite-wal").exists()
    assert (data_dir / "daemon.lock").read_text() == ""
    with sqlite3.connect(data_dir / "databases" / "main.sqlite") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "databases").mkdir(parents=True)
    connection = sqlite3.connect(data_dir / "databases" / "future.sqlite")
    connection.execute("PRAGMA journal_mode = WAL")  # as the daemon's own accounts are
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    before = (data_dir / "databases" / "future.sqlite").read_bytes()
    result = subprocess.run(
        daemon_command(data_dir, "--port", "0"),
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )
    assert result.returncode == 5
    assert (
        "future.sqlite has schema version 99, but this privatefolio-daemon only knows versions up "
        f"to {ACCOUNT_SCHEMA_VERSION}. It was written by a newer version: upgrade "
        "privatefolio-daemon to open it."
    ) in result.stderr
    assert (data_dir / "databases" / "future.sqlite").read_bytes() == before
    assert [path.name for path in (data_dir / "databases").iterdir()] == ["future.sqlite"]


def test_web3_and_ccxt_are_not_imported_at_start_up(tmp_path: Path) -> None:
    script = f"""
import asyncio, sys
from privatefolio_daemon.app import Daemon
from tests.conftest import ACCOUNT_SCHEMA_VERSION
from privatefolio_daemon.config import load_config

async def main():
    daemon = Daemon(load_config(environ={{}}, data_dir={str(tmp_path)!r}, port=0, crons=False))
    await daemon.start()
    await daemon.stop()
    print(sorted(name for name in ("web3", "ccxt", "eth_tester") if name in sys.modules))

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_version_and_token(tmp_path: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert version.stdout.startswith("privatefolio-daemon ")
    expected = read_or_create_token(tmp_path / "auth" / "token")  # as a daemon's start makes it
    token = subprocess.run(
        [sys.executable, "-m", "privatefolio_daemon", "token", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )
    assert token.stdout.strip() == expected
