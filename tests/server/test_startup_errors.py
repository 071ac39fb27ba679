"""Start-up errors are one clear line and an exit code, never a traceback, and never twice."""

import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import latest_version, load_migrations, migrate
from tests.daemon_process import clean_environment, cli, daemon_command, running_daemon

SERVER_SCHEMA_VERSION = latest_version(load_migrations(schema_dir("server")))
NOBODY = 65534


def serve(data_dir: Path, *extra: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        daemon_command(data_dir, "--port", "0", *extra),
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean_environment(), **environment},
    )


def test_an_unknown_log_level_is_bad_configuration(tmp_path: Path) -> None:
    from_environment = serve(tmp_path / "data", LOG_LEVEL="verbose")
    assert from_environment.returncode == 2
    assert from_environment.stderr == (
        "privatefolio-daemon: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
        "not 'verbose'\n"
    )
    from_flag = serve(tmp_path / "data", "--log-level", "loud")
    assert from_flag.returncode == 2
    assert from_flag.stderr == (
        "privatefolio-daemon: --log-level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
        "not 'loud'\n"
    )


def test_a_data_dir_that_cannot_be_a_directory_is_bad_configuration(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory")
    on_a_file = serve(a_file)
    assert on_a_file.returncode == 2
    assert on_a_file.stderr == (
        f"privatefolio-daemon: The data directory {a_file} exists but is not a directory: "
        "choose another with --data-dir or DATA_LOCATION\n"
    )
    under_a_file = serve(a_file / "data")
    assert under_a_file.returncode == 2
    assert under_a_file.stderr == (
        f"privatefolio-daemon: Cannot create the data directory {a_file / 'data'} "
        "(Not a directory): choose another with --data-dir or DATA_LOCATION\n"
    )


def test_a_data_dir_that_cannot_be_written_is_bad_configuration(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "daemon.lock").mkdir(parents=True)  # what stands for a read-only directory
    refused = serve(data_dir)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        f"privatefolio-daemon: The data directory {data_dir} cannot be written: [Errno 21] "
    )


def test_a_taken_port_or_data_dir_is_reported_once(tmp_path: Path) -> None:
    with running_daemon(tmp_path / "data") as (first, ready):
        port = str(ready["port"])
        port_taken = serve(tmp_path / "other", "--port", port)
        data_dir_taken = serve(tmp_path / "data")
    assert port_taken.returncode == 4
    assert port_taken.stderr == (
        f"privatefolio-daemon: Port {port} on 127.0.0.1 is already in use. Another program (or "
        "another daemon on another data dir) holds it: choose another with --port or PORT.\n"
    )
    assert port_taken.stdout == ""
    assert data_dir_taken.returncode == 3
    assert data_dir_taken.stderr == (
        f"privatefolio-daemon: Another privatefolio-daemon (pid {first.pid}) is already using "
        f"{tmp_path / 'data'}. Stop it first, or start this one with another --data-dir.\n"
    )
    assert data_dir_taken.stdout == ""


SERVER_DB_DAMAGED_ADVICE = (
    "It holds the server's settings, server values and health history, no account's data: move "
    "it aside to start with new ones."
)


def server_database_refused(data_dir: Path) -> tuple[int, str]:
    result = serve(data_dir)
    assert result.stdout == ""
    return result.returncode, result.stderr


def test_a_server_database_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    """As an account database's errors do, the server database's name its file (exit 5)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    server_db = data_dir.resolve() / "server.sqlite"
    server_db.write_bytes(b"not a database, but notes saved over it\n" * 100)
    assert server_database_refused(data_dir) == (
        5,
        f"privatefolio-daemon: Could not open the databases: {server_db}: file is not a "
        f"database. {SERVER_DB_DAMAGED_ADVICE}\n",
    )
    assert server_db.read_bytes() == b"not a database, but notes saved over it\n" * 100

    server_db.write_bytes(b"")
    log_beside = server_db.with_name("server.sqlite-wal")
    log_beside.write_bytes(b"the pages of the last commits" * 100)
    assert server_database_refused(data_dir) == (
        5,
        f"privatefolio-daemon: Could not open the databases: {server_db}: file is empty (0 "
        f"bytes), not a database. {SERVER_DB_DAMAGED_ADVICE}\n",
    )
    assert (server_db.read_bytes(), log_beside.read_bytes()) == (
        b"",
        b"the pages of the last commits" * 100,
    )
    log_beside.unlink()

    server_db.unlink()
    connection = sqlite3.connect(server_db)
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    assert server_database_refused(data_dir) == (
        5,
        f"privatefolio-daemon: Could not open the databases: {server_db}: server.sqlite has "
        "schema version 99, but this privatefolio-daemon only knows versions up to "
        f"{SERVER_SCHEMA_VERSION}. It was written by a newer version: upgrade "
        "privatefolio-daemon to open it.\n",
    )

    server_db.unlink()
    server_db.mkdir()  # what stands for a file that cannot be read
    assert server_database_refused(data_dir) == (
        5,
        f"privatefolio-daemon: Could not open the databases: {server_db}: [Errno 21] Is a "
        f"directory: '{server_db}'\n",
    )


def test_a_damaged_account_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    """The daemon does not start without an account (exit 5), and says how to mend it."""
    data_dir = tmp_path / "my data"
    (data_dir / "databases").mkdir(parents=True)
    data_dir.chmod(0o700)  # as the daemon makes it: one open to others is warned of
    damaged = data_dir.resolve() / "databases" / "junk.sqlite"
    damaged.write_text("x\n")
    assert server_database_refused(data_dir) == (
        5,
        f"privatefolio-daemon: Could not open the databases: {damaged}: file is not a database. "
        f'The database of account "junk" is damaged: to start without it, move junk.sqlite out '
        f"of {damaged.parent}; or restore a backup into it with the daemon stopped: "
        f"privatefolio-daemon restore --data-dir '{data_dir}' junk <backup.zip> (the damaged "
        "file is kept, as junk.sqlite.damaged-<ms>).\n",
    )
    assert damaged.read_text() == "x\n"


#: How root starts a command as nobody (``setpriv``, from util-linux).
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.fixture
def daemons_user(tmp_path: Path) -> Iterator[tuple[Path, list[str], str]]:
    """A folder to make a data dir in, the words that start a command as the user who owns
    that data dir, and the user's name. As root (who may write any file) the daemon runs as
    nobody, as after a start with ``sudo`` left root's files in a user's data dir."""
    if os.geteuid() != 0:
        yield tmp_path, [], pwd.getpwuid(os.geteuid()).pw_name
        return
    if shutil.which("setpriv") is None:
        pytest.skip("run as root without setpriv to start the daemon as another user")
    place = Path(tempfile.mkdtemp())
    place.chmod(0o755)  # pytest's own folders are root's alone
    try:
        tried = subprocess.run(
            [*AS_NOBODY, sys.executable, "-m", "privatefolio_daemon", "--version"],
            capture_output=True,
            timeout=30,
            env=clean_environment(),
        )
        if tried.returncode != 0:
            pytest.skip(f"run as root, and nobody cannot run the daemon: {tried.stderr[-300:]!r}")
        yield place, AS_NOBODY, pwd.getpwuid(NOBODY).pw_name
    finally:
        shutil.rmtree(place)


def owned_by_the_daemons_user(path: Path, start_as: list[str]) -> None:
    if start_as:
        os.chown(path, NOBODY, NOBODY)


def served_as(start_as: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*start_as, *daemon_command(data_dir, "--port", "0")],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_environment(),
    )


def test_a_server_database_the_daemon_cannot_write_is_refused(
    daemons_user: tuple[Path, list[str], str],
) -> None:
    place, start_as, user = daemons_user
    data_dir = place / "data"
    data_dir.mkdir(mode=0o700)
    owned_by_the_daemons_user(data_dir, start_as)
    server_db = data_dir / "server.sqlite"
    connection = sqlite3.connect(server_db, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")  # as a daemon leaves it
    migrate(connection, load_migrations(schema_dir("server")), server_db)
    connection.close()
    if not start_as:
        server_db.chmod(0o444)  # root's, mode 0644, when the daemon runs as nobody
    refused = served_as(start_as, data_dir)
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        5,
        "",
        f"privatefolio-daemon: Could not open the databases: {server_db}: attempt to write a "
        f"readonly database: the daemon runs as {user}, who cannot write this file (or the -wal "
        f"and -shm files beside it). Give {user} write access to them (their owner or "
        "permissions), then start again.\n",
    )


def test_a_data_dir_the_daemon_cannot_write_in_is_bad_configuration(
    daemons_user: tuple[Path, list[str], str],
) -> None:
    place, start_as, _ = daemons_user
    data_dir = place / "data"
    data_dir.mkdir()
    (data_dir / "daemon.lock").touch()
    for path in (data_dir / "daemon.lock", data_dir):
        owned_by_the_daemons_user(path, start_as)
    data_dir.chmod(0o500)
    try:
        refused = served_as(start_as, data_dir)
    finally:
        data_dir.chmod(0o700)
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        2,
        "",
        f"privatefolio-daemon: The data directory {data_dir} cannot be written: [Errno 13] "
        "Permission denied\n",
    )


def test_an_empty_server_database_with_nothing_beside_it_starts_as_a_new_one(
    tmp_path: Path,
) -> None:
    """An empty file without a log holds nothing to lose (a first start stopped before its first
    commit leaves one): the daemon starts on it, and says so."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    server_db = data_dir / "server.sqlite"
    server_db.write_bytes(b"")
    with running_daemon(data_dir):
        settings = cli("call", "--data-dir", str(data_dir), "getServerSettings")
        assert settings.returncode == 0, settings.stderr
        assert orjson.loads(settings.stdout)["healthMetricsInterval"] == 60
    logged = "".join(path.read_text() for path in (data_dir / "server-logs").iterdir())
    assert (
        f"{server_db.resolve()} was empty (0 bytes): it starts again as a new server database"
        in logged
    )
    assert server_db.stat().st_size > 0
