"""The plain tables of a backup's database, with their columns and indexes, must be those that
the migrations up to its schema version make: the daemon reads and writes them as it made them,
and an account restored with a table of another shape would read but fail its writes.

Compared by what SQLite reports of each (``table_xinfo``, ``index_list``, ``index_xinfo``), not
by the text of their statements, which ``ALTER TABLE`` rewrites. A backup of a version before
``MENDED_BY`` may also have the tables of a text a migration had in a release before it was edited
in place (``schema/account/superseded``): the daemon made them, and migration ``MENDED_BY`` mends
them once the backup is restored.
"""

import functools
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.errors import shortened
from privatefolio_daemon.store.migrations import Migration, load_superseded, migrate

_LISTED = 5
#: The migration that mends the tables the superseded texts of migrations made.
MENDED_BY = 20

#: (name, declared type, not null, default, primary key position, hidden: generated columns).
Column = tuple[str, str, int, str | None, int, int]
#: (unique, origin: c, u or pk, partial, the key columns as (name, descending, collation)).
Index = tuple[int, str, int, tuple[tuple[str | None, int, str], ...]]


@dataclass(frozen=True, slots=True)
class TableShape:
    columns: tuple[Column, ...]
    indexes: dict[str, Index]


def refuse_other_tables(
    connection: sqlite3.Connection, migrations: list[Migration], version: int
) -> None:
    """Raise ``BackupError`` naming the differences, unless the plain tables of ``connection``
    are those of schema ``version`` (above 0)."""
    found = table_shapes(connection)
    problems = _differences(_tables_made_by(tuple(migrations[:version])), found)
    if problems and any(found == made for made in _tables_made_before_mended(migrations, version)):
        return
    if problems:
        listed = problems[:_LISTED]
        if len(problems) > _LISTED:
            listed.append(f"and {len(problems) - _LISTED} more")
        raise BackupError(
            f"The backup's database states schema version {version} but does not have its "
            f"tables ({', '.join(listed)}); it was not made by privatefolio-daemon or was "
            "changed."
        )


def table_shapes(connection: sqlite3.Connection) -> dict[str, TableShape]:
    """Every plain table but SQLite's own, by name."""
    names = [
        str(row[0])
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND substr(sql, 1, 13) = 'CREATE TABLE ' ORDER BY name"
        )
    ]
    return {name: _shape(connection, name) for name in names}


def _shape(connection: sqlite3.Connection, table: str) -> TableShape:
    columns = tuple(
        (str(name), str(type_), int(notnull), default, int(pk), int(hidden))
        for _, name, type_, notnull, default, pk, hidden in connection.execute(
            f"PRAGMA table_xinfo({_quoted(table)})"
        )
    )
    indexes: dict[str, Index] = {}
    for _, name, unique, origin, partial in connection.execute(
        f"PRAGMA index_list({_quoted(table)})"
    ):
        keys = tuple(
            (column, int(descending), str(collation))
            for _, _, column, descending, collation, key in connection.execute(
                f"PRAGMA index_xinfo({_quoted(name)})"
            )
            if key
        )
        indexes[str(name)] = (int(unique), str(origin), int(partial), keys)
    return TableShape(columns, indexes)


def _quoted(name: object) -> str:
    return '"' + str(name).replace('"', '""') + '"'


@functools.lru_cache(maxsize=8)
def _tables_made_by(migrations: tuple[Migration, ...]) -> dict[str, TableShape]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(connection, list(migrations), Path(":memory:"))
        return table_shapes(connection)
    finally:
        connection.close()


def _tables_made_before_mended(
    migrations: list[Migration], version: int
) -> list[dict[str, TableShape]]:
    """The tables of schema ``version`` made with each superseded text in its migration's place,
    for a version the migration ``MENDED_BY`` has not mended yet."""
    if version >= MENDED_BY:
        return []
    return [
        _tables_made_by(
            tuple(text if made.version == text.version else made for made in migrations[:version])
        )
        for text in load_superseded(migrations)
        if text.version <= version
    ]


def _differences(expected: dict[str, TableShape], found: dict[str, TableShape]) -> list[str]:
    problems = []
    for table in sorted(expected.keys() | found.keys()):
        name = _named(table)
        if table not in found:
            problems.append(f"no table {name}")
        elif table not in expected:
            problems.append(f"unknown table {name}")
        else:
            problems += _column_differences(name, expected[table], found[table])
            problems += _index_differences(name, expected[table], found[table])
    return problems


def _column_differences(table: str, expected: TableShape, found: TableShape) -> list[str]:
    ours = {column[0]: column for column in expected.columns}
    theirs = {column[0]: column for column in found.columns}
    problems = [f"no column {_named(name)} in table {table}" for name in ours if name not in theirs]
    problems += [
        f"unknown column {_named(name)} in table {table}" for name in theirs if name not in ours
    ]
    problems += [
        f"column {_named(name)} of table {table} is declared differently"
        for name, column in ours.items()
        if name in theirs and theirs[name] != column
    ]
    if not problems and expected.columns != found.columns:
        problems.append(f"the columns of table {table} in another order")
    return problems


def _index_differences(table: str, expected: TableShape, found: TableShape) -> list[str]:
    ours, theirs = expected.indexes, found.indexes
    problems = [
        f"no index {_named(name)} on table {table}" for name in sorted(ours) if name not in theirs
    ]
    problems += [
        f"unknown index {_named(name)} on table {table}"
        for name in sorted(theirs)
        if name not in ours
    ]
    problems += [
        f"index {_named(name)} on table {table} is made differently"
        for name in sorted(ours)
        if name in theirs and theirs[name] != ours[name]
    ]
    return problems


def _named(name: str) -> str:
    return f'"{shortened(name, 80)}"'
