"""A stop asked for during an upgrade sticks: SQLite drops an interrupt that comes while no
statement runs (between two statements of a migration, during the copy's last sync), so the
upgrade also looks at the stop before its copy and before each migration commits. It keeps
the versions it completed, and the copy when it completed one."""

import sqlite3
import threading
from pathlib import Path

import pytest

from privatefolio_daemon.store.migrations import UpgradeStopped, load_migrations, migrate

START = "CREATE TABLE key_value (key VARCHAR PRIMARY KEY, value JSON); CREATE TABLE t (a);"


def migrations_of(directory: Path, *scripts: str) -> list:  # type: ignore[type-arg]
    directory.mkdir(parents=True)
    for number, script in enumerate(scripts, start=1):
        (directory / f"{number:04d}_step.sql").write_text(script)
    return load_migrations(directory)


def database_of_version_1(tmp_path: Path) -> tuple[sqlite3.Connection, Path, threading.Event]:
    """With ``stop_now()``, which a migration calls to stand for a stop between statements."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrate(connection, migrations_of(tmp_path / "v1", START), db_path)
    stop = threading.Event()
    connection.create_function("stop_now", 0, stop.set)
    return connection, db_path, stop


def files(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in tmp_path.glob("main.sqlite*"))


def test_a_stop_asked_for_before_the_upgrade_leaves_the_database_as_it_was(
    tmp_path: Path,
) -> None:
    connection, db_path, stop = database_of_version_1(tmp_path)
    stop.set()
    migrations = migrations_of(tmp_path / "v2", START, "ALTER TABLE t ADD b;")
    with pytest.raises(UpgradeStopped):
        migrate(connection, migrations, db_path, stop=stop)
    assert connection.execute("PRAGMA user_version").fetchone() == (1,)
    assert files(tmp_path) == ["main.sqlite"]


def test_a_stop_between_statements_of_the_first_migration_rolls_it_back_and_removes_the_copy(
    tmp_path: Path,
) -> None:
    connection, db_path, stop = database_of_version_1(tmp_path)
    scripts = (START, "SELECT stop_now(); ALTER TABLE t ADD b;", "ALTER TABLE t ADD c;")
    with pytest.raises(UpgradeStopped):
        migrate(connection, migrations_of(tmp_path / "v3", *scripts), db_path, stop=stop)
    assert connection.execute("PRAGMA user_version").fetchone() == (1,)
    assert [row[1] for row in connection.execute("PRAGMA table_info(t)")] == ["a"]
    assert files(tmp_path) == ["main.sqlite"]


def test_a_stop_in_a_later_migration_keeps_the_versions_completed_and_the_copy(
    tmp_path: Path,
) -> None:
    connection, db_path, stop = database_of_version_1(tmp_path)
    scripts = (START, "ALTER TABLE t ADD b;", "SELECT stop_now(); ALTER TABLE t ADD c;")
    with pytest.raises(UpgradeStopped):
        migrate(connection, migrations_of(tmp_path / "v3", *scripts), db_path, stop=stop)
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)
    [_, copy] = files(tmp_path)
    assert copy.startswith("main.sqlite.pre-v2-")
