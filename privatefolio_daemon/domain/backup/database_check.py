"""Checks of the database inside a backup, and the adoption of a Privatefolio backend database.

The database checked is the staged copy, never the live one.
"""

import functools
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.table_check import refuse_other_tables
from privatefolio_daemon.domain.errors import shortened
from privatefolio_daemon.store.database import PAGE_BYTES
from privatefolio_daemon.store.migrations import Migration, latest_version, migrate

_HEADER = b"SQLite format 3\x00"
_NAME = "database.sqlite in the backup"
#: How SQLite writes the statements of plain tables and indexes into ``sqlite_master``; any
#: other statement (a view, a trigger, a virtual table) runs code when the daemon touches it.
_PLAIN = {"table": ("CREATE TABLE ",), "index": ("CREATE INDEX ", "CREATE UNIQUE INDEX ")}
_KINDS = {
    "CREATE VIRTUAL TABLE ": "virtual table",
    "CREATE VIEW ": "view",
    "CREATE TRIGGER ": "trigger",
}
_LISTED = 5

#: (kind, name, sql) of a schema object that runs code.
SchemaObject = tuple[str, str, str]


def check_database(path: Path, migrations: list[Migration]) -> int:
    """Raise ``BackupError`` unless ``path`` is a sound account database we can open.

    Returns its schema version: 0 for a database of the Privatefolio backend. Its views,
    triggers and virtual tables must be those our migrations create: they run code (a virtual
    table runs a native module, a trigger fires on the daemon's own writes). They are read before
    anything else touches the database, its integrity check included. Then, but for version 0,
    none of ours may be missing, and its plain tables must be those of its version, columns and
    indexes included.
    """
    with path.open("rb") as handle:
        if handle.read(len(_HEADER)) != _HEADER:
            raise BackupError(f"{_NAME} is not an SQLite database.")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        objects = _code_objects(connection)
        latest = latest_version(migrations)
        if version > latest:
            raise BackupError(
                f"The backup was made by a newer privatefolio-daemon: its database has schema "
                f"version {version}, and this one knows versions up to {latest}. Upgrade "
                "privatefolio-daemon to restore it."
            )
        _refuse_foreign_objects(objects, migrations, version)
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise BackupError(f"{_NAME} is corrupt: {'; '.join(problems)}.")
        if not {"key_value", "audit_logs"} <= set(_tables(connection, "main")):
            raise BackupError(
                f"{_NAME} is not a Privatefolio account database (no audit_logs table)."
            )
        if version > 0:
            refuse_other_tables(connection, migrations, version)
            _refuse_missing_objects(objects, migrations, version)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{_NAME} is corrupt ({error}).") from error
    finally:
        connection.close()
    return version


def check_shape(connection: sqlite3.Connection, migrations: list[Migration], version: int) -> None:
    """Raise ``BackupError`` unless the schema objects of ``connection`` (read only) are those
    the migrations up to ``version`` (above 0) make, as a restore requires of a backup's."""
    _refuse_foreign_objects(_code_objects(connection), migrations, version)
    refuse_other_tables(connection, migrations, version)
    _refuse_missing_objects(_code_objects(connection), migrations, version)


def check_files_listed(database: Path, files: Path) -> None:
    """Raise ``BackupError`` if a file of the backup (in ``files``) is none of the server files
    of its (checked) database: a backup holds those only, and nothing else may fill the disk."""
    names = sorted(path.name for path in files.iterdir()) if files.is_dir() else []
    if not names:
        return
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        ids = {str(row[0]) for row in connection.execute("SELECT id FROM server_files")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{_NAME} cannot be read ({error}).") from error
    finally:
        connection.close()
    unlisted = [f'"files/{name}"' for name in names if name not in ids]
    if unlisted:
        shown = ", ".join(unlisted[:_LISTED]) + (", …" if len(unlisted) > _LISTED else "")
        raise BackupError(
            f"The backup holds files that no server file of its database names ({shown}): it "
            "was altered, and it is refused."
        )


def _refuse_foreign_objects(
    objects: list[SchemaObject], migrations: list[Migration], version: int
) -> None:
    """Our migrations up to ``version`` make exactly these objects. A Privatefolio backend
    database (version 0) is only read for the rows of its tables, so its views are left behind;
    it may have ours (its ``favorite_assets`` is worded differently), and nothing else."""
    if version > 0:
        ours = _objects_made_by(tuple(migrations[:version]))
        foreign = [item for item in objects if item not in ours]
    else:
        views = {name for kind, name, _ in _objects_made_by(tuple(migrations)) if kind == "view"}
        foreign = [item for item in objects if item[0] != "view" or item[1] not in views]
    if foreign:
        raise BackupError(
            f"The backup's database has objects this daemon does not create ({_listed(foreign)}"
            "); it was not made by privatefolio-daemon or was changed."
        )


def _refuse_missing_objects(
    objects: list[SchemaObject], migrations: list[Migration], version: int
) -> None:
    """The daemon's queries read its views: one a backup lacks would fail them."""
    ours = _objects_made_by(tuple(migrations[:version]))
    missing = sorted(ours - set(objects), key=lambda item: (item[0], item[1]))
    if missing:
        raise BackupError(
            f"The backup's database states schema version {version} but lacks objects of it "
            f"({_listed(missing)}); it was not made by privatefolio-daemon or was changed."
        )


def _listed(objects: list[SchemaObject]) -> str:
    listed = [f'{kind} "{shortened(name, 80)}"' for kind, name, _ in objects[:_LISTED]]
    if len(objects) > _LISTED:
        listed.append(f"and {len(objects) - _LISTED} more")
    return ", ".join(listed)


@functools.lru_cache(maxsize=8)
def _objects_made_by(migrations: tuple[Migration, ...]) -> frozenset[SchemaObject]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(connection, list(migrations), Path(":memory:"))
        return frozenset(_code_objects(connection))
    finally:
        connection.close()


def _code_objects(connection: sqlite3.Connection) -> list[SchemaObject]:
    """Every entry of ``sqlite_master`` but plain tables, indexes and SQLite's own ones.

    Judged by the statement, which SQLite runs whatever the entry's ``type`` says.
    """
    objects = []
    rows = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY rowid")
    for type_, name, sql in rows:
        if sql is None and str(name).startswith("sqlite_autoindex_"):
            continue
        sql = str(sql)
        if sql.startswith(_PLAIN.get(type_, ())):
            continue
        kind = next((kind for start, kind in _KINDS.items() if sql.startswith(start)), type_)
        objects.append((str(kind), str(name), sql))
    return objects


def adopt_privatefolio_database(legacy: Path, target: Path, migrations: list[Migration]) -> None:
    """Copy the rows of a Privatefolio backend database into a new database of our schema.

    Columns are matched by name; the generated sort columns are recomputed by SQLite. Only the
    rows of plain tables are read: no view, trigger or virtual table of ``legacy`` runs, and none
    comes along (``check_database`` refused those we do not make).
    """
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        connection.execute(f"PRAGMA page_size = {PAGE_BYTES}")
        migrate(connection, migrations, target)
        connection.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
        connection.execute("BEGIN IMMEDIATE")
        legacy_tables = set(_tables(connection, "legacy"))
        for table in _tables(connection, "main"):
            if table not in legacy_tables:
                continue
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
    """The plain tables of ``schema``: no virtual table, none of SQLite's own."""
    return [
        row[0]
        for row in connection.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND substr(sql, 1, 13) = 'CREATE TABLE '"
        )
    ]


def _columns(connection: sqlite3.Connection, schema: str, table: str) -> list[str]:
    """Stored, ordinary columns (generated ones are hidden: 2 or 3 in ``table_xinfo``)."""
    rows = connection.execute(f'PRAGMA {schema}.table_xinfo("{table}")').fetchall()
    return [row[1] for row in rows if row[6] == 0]
