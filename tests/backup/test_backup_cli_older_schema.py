"""The offline ``backup`` of an account whose database an older version wrote leaves the database
as it is: the backup a user takes before starting a new version is of the data the old version
reads, and nothing is upgraded yet. A restore of it upgrades what it restores."""

import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.backup.helpers import fill_account, sha256_file
from tests.backup.test_backup_cli import cli, manifest_of
from tests.conftest import ACCOUNT_SCHEMA_VERSION

MIGRATIONS = load_migrations(schema_dir("account"))
CSV = b"Date,Amount\n2021-01-01,1\n"


def older_account(data_dir: Path, version: int) -> Path:
    """The account "main" as a daemon of schema ``version`` leaves it when it stops: its
    database in WAL mode, an upload and an export among its files."""
    database = data_dir / "databases" / "main.sqlite"
    database.parent.mkdir(parents=True)
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    migrate(connection, MIGRATIONS[:version], database)
    fill_account(connection)
    connection.executemany(
        "INSERT INTO server_files (id, name, scheduledAt, status, createdBy) "
        "VALUES (?, ?, 1700000000000, 'completed', ?)",
        [(1, "trades.csv", "user"), (2, "main-transactions.csv", "system")],
    )
    connection.close()
    files = data_dir / "files" / "main"
    files.mkdir(parents=True)
    (files / "1").write_bytes(CSV)
    (files / "2").write_bytes(b"exported\n")
    return database


@pytest.mark.parametrize("version", [1, 10, ACCOUNT_SCHEMA_VERSION - 1])
def test_an_older_schema_is_backed_up_as_it_is_and_restores(tmp_path: Path, version: int) -> None:
    data_dir, elsewhere = tmp_path / "data", tmp_path / "new-machine"
    database = older_account(data_dir, version)
    written = sha256_file(database)
    output = tmp_path / "main.zip"

    backed_up = cli("backup", "main", "-o", str(output), "--data-dir", str(data_dir))

    assert backed_up.returncode == 0, backed_up.stderr
    assert sha256_file(database) == written
    assert sorted(path.name for path in database.parent.iterdir()) == ["main.sqlite"]
    assert backed_up.stdout == (
        f"Backed up main to {output}\n"
        f"The database of main, of schema version {version} (an older version wrote it), is "
        f"left as it is: privatefolio-daemon upgrades it to version {ACCOUNT_SCHEMA_VERSION} "
        "when it next opens it.\n"
    )
    assert manifest_of(output)["schemaVersion"] == version

    restored = cli("restore", "main", str(output), "--data-dir", str(elsewhere))

    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"Restored main from {output}\n"
    reading = (elsewhere / "databases" / "main.sqlite").resolve().as_uri()
    connection = sqlite3.connect(f"{reading}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (ACCOUNT_SCHEMA_VERSION,)
        assert connection.execute("SELECT COUNT(*) FROM audit_logs").fetchone() == (300,)
        assert connection.execute(
            "SELECT value FROM key_value WHERE key = 'marker'"
        ).fetchone() == ("seed 0",)
        assert connection.execute("SELECT id, name, createdBy FROM server_files").fetchall() == [
            (1, "trades.csv", "user")
        ]
    finally:
        connection.close()
    assert (elsewhere / "files" / "main" / "1").read_bytes() == CSV


def test_an_older_schema_no_restore_would_accept_is_refused_naming_the_upgrade(
    tmp_path: Path,
) -> None:
    """Migration 0006 changed after builds had applied it: their version 6 has another table."""
    data_dir = tmp_path / "data"
    database = older_account(data_dir, 6)
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("CREATE TABLE sync_versions (entity TEXT, recordId TEXT, version INTEGER)")
    connection.close()
    written = sha256_file(database)
    output = tmp_path / "main.zip"

    backed_up = cli("backup", "main", "-o", str(output), "--data-dir", str(data_dir))

    assert backed_up.returncode == 1
    assert backed_up.stderr == (
        'privatefolio-daemon: The database of account "main" has schema version 6, but not the '
        "tables this privatefolio-daemon knows for that version (an earlier build of it wrote "
        "them otherwise), so no restore would accept a backup of it as it is. Start "
        f"privatefolio-daemon once: it upgrades the database to version {ACCOUNT_SCHEMA_VERSION}"
        ", keeping a copy of it as it is now beside it (main.sqlite.pre-v7-<ms>.bak); then back "
        "it up.\n"
    )
    assert sha256_file(database) == written
    assert sorted(path.name for path in database.parent.iterdir()) == ["main.sqlite"]
    assert not output.exists()
