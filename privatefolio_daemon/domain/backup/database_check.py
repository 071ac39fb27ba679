"""Checks of the database inside a backup, and the adoption of a Privatefolio backend database.

The database checked is the staged copy, never the live one.
"""

import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.store.migrations import Migration, latest_version, migrate

_HEADER = b"SQLite format 3\x00"
_NAME = "database.sqlite in the backup"


def check_database(path: Path, migrations: list[Migration]) -> int:
    """Raise ``BackupError`` unless ``path`` is a sound account database we can open.

    Returns its schema version: 0 for a database of the Privatefolio backend.
    """
    with path.open("rb") as handle:
        if handle.read(len(_HEADER)) != _HEADER:
            raise BackupError(f"{_NAME} is not an SQLite database.")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise BackupError(f"{_NAME} is corrupt: {'; '.join(problems)}.")
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{_NAME} is corrupt ({error}).") from error
    finally:
        connection.close()
    latest = latest_version(migrations)
    if version > latest:
        raise BackupError(
            f"The backup was made by a newer privatefolio-daemon: its database has schema "
            f"version {version}, and this one knows versions up to {latest}. Upgrade "
            "privatefolio-daemon to restore it."
        )
    if not {"key_value", "audit_logs"} <= tables:
        raise BackupError(f"{_NAME} is not a Privatefolio account database (no audit_logs table).")
    return version


def adopt_privatefolio_database(legacy: Path, target: Path, migrations: list[Migration]) -> None:
    """Copy the rows of a Privatefolio backend database into a new database of our schema.

    Columns are matched by name; the generated sort columns are recomputed by SQLite.
    """
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        migrate(connection, migrations, target)
        connection.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
        connection.execute("BEGIN IMMEDIATE")
        for table in _tables(connection, "main"):
            source_columns = _columns(connection, "legacy", table)
            columns = [c for c in _columns(connection, "main", table) if c in source_columns]
            if columns:
                names = ", ".join(f'"{column}"' for column in columns)
                connection.execute(
                    f'INSERT OR REPLACE INTO main."{table}" ({names}) '
                    f'SELECT {names} FROM legacy."{table}"'
                )
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE legacy")
    except sqlite3.Error as error:
        raise BackupError(f"{_NAME} could not be converted from Privatefolio ({error}).") from error
    finally:
        connection.close()


def _tables(connection: sqlite3.Connection, schema: str) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]


def _columns(connection: sqlite3.Connection, schema: str, table: str) -> list[str]:
    """Stored, ordinary columns (generated ones are hidden: 2 or 3 in ``table_xinfo``)."""
    rows = connection.execute(f'PRAGMA {schema}.table_xinfo("{table}")').fetchall()
    return [row[1] for row in rows if row[6] == 0]
