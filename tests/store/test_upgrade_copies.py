"""The copy made before an upgrade is the database as the user's version left it. An upgrade cut
off goes on at the next start with the copy it made, never with a copy of the half-upgraded
database, which the user's version could not open; the log says when an upgrade starts."""

import logging
import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.store.migrations import load_migrations, migrate

START = "CREATE TABLE key_value (key VARCHAR PRIMARY KEY, value JSON); CREATE TABLE t (a);"
STEPS = ["ALTER TABLE t ADD b;", "ALTER TABLE t ADD c;", "ALTER TABLE t ADD d;"]


def migrations_of(directory: Path, *scripts: str) -> list:  # type: ignore[type-arg]
    directory.mkdir(parents=True)
    for number, script in enumerate(scripts, start=1):
        (directory / f"{number:04d}_step.sql").write_text(script)
    return load_migrations(directory)


def copies(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in tmp_path.glob("main.sqlite.*"))


def version_of(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def test_an_upgrade_cut_off_goes_on_with_the_copy_of_the_version_it_started_from(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="privatefolio_daemon.store.migrations")
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrate(connection, migrations_of(tmp_path / "v1", START), db_path)
    failing = migrations_of(tmp_path / "v4", START, STEPS[0], "SELECT nope FROM nowhere;")
    with pytest.raises(RuntimeError, match=r"Migration 0003_step\.sql failed"):
        migrate(connection, failing, db_path)
    [first_copy] = copies(tmp_path)
    assert (first_copy.startswith("main.sqlite.pre-v2-"), version_of(db_path)) == (True, 2)

    fixed = migrations_of(tmp_path / "v4-fixed", START, *STEPS)
    report = migrate(connection, fixed, db_path)

    assert (report.from_version, report.to_version, report.backup) == (2, 4, tmp_path / first_copy)
    assert copies(tmp_path) == [first_copy]
    assert version_of(tmp_path / first_copy) == 1
    assert connection.execute("SELECT key FROM key_value").fetchall() == []
    assert caplog.messages == [
        f"Upgrading {db_path} from schema 1 to 3; copying it first to {first_copy}",
        f"Upgrading {db_path} from schema 2 to 4, going on with an upgrade cut off before "
        f"({first_copy} holds it)",
    ]

    later = migrate(
        connection, migrations_of(tmp_path / "v5", START, *STEPS, "ALTER TABLE t ADD e;"), db_path
    )
    assert later.backup is not None and later.backup.name.startswith("main.sqlite.pre-v5-")
    assert copies(tmp_path) == [later.backup.name]
