"""Bulk loading: drop a table's indexes, append the rows, then build each index once, sorted.

Inserting a random hash id into a B-tree costs a page search and often a split per row, and once
the index outgrows the page cache, a disk read too. Building the index afterwards is one sort,
which SQLite may spread over helper threads. Everything happens inside the caller's transaction:
a rollback brings the old indexes back untouched.

While the unique ``id`` index is gone, a repeated id is not replaced at insert time. If the
unique index then cannot be built, the older copies are deleted and it is built again, which
leaves what ``INSERT OR REPLACE`` would have left: the last row written wins. Ids the loader
knows to repeat have their older copies deleted before the build, which costs one scan of the
table instead of a failed sort and a second one.
"""

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson

#: Helper threads for the sorter while the indexes are built (SQLite caps it at compile time).
SORTER_THREADS = 4
#: The page cache while the index of a large table is built, in KiB. SQLite's sorter sorts runs
#: of the cache's size in memory, then merges them. Runs of 1 MiB fit the CPU's caches and are
#: sorted on the helper threads: a million-row ledger's ten builds take half the time they take
#: with the writer's 64 MiB cache, where one run holds most of an index (decision 0004).
SORTER_RUN_KIB = 1024
#: From this many rows a table's indexes are sorted in small runs; a smaller one sorts faster in
#: one run (100k rows: 0.35–0.41 s against 0.45–0.51 s; 300k rows: 1.5 s against 1.3–1.4 s).
SMALL_RUNS_MIN_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class DroppedIndex:
    name: str
    table: str
    sql: str

    @property
    def unique(self) -> bool:
        return self.sql.upper().startswith("CREATE UNIQUE")


@contextmanager
def deferred_indexes(
    connection: sqlite3.Connection, tables: tuple[str, ...]
) -> Iterator[dict[str, set[str]]]:
    """Drop the indexes of ``tables`` for the body, then build them again.

    The body may fill the dictionary it is given with the ids it knows it wrote more than once,
    by table: only their last copies are kept. Must run inside a transaction. If the body
    raises, nothing is rebuilt: the caller rolls back, which restores the indexes.
    """
    dropped = drop_indexes(connection, tables)
    repeated_ids: dict[str, set[str]] = {}
    yield repeated_ids
    for table, ids in repeated_ids.items():
        keep_last_of_ids(connection, table, ids)
    build_indexes(connection, dropped)


def drop_indexes(connection: sqlite3.Connection, tables: tuple[str, ...]) -> list[DroppedIndex]:
    marks = ", ".join("?" for _ in tables)
    rows = connection.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master "
        f"WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY rowid",
        tables,
    ).fetchall()
    dropped = [DroppedIndex(name, table, sql) for name, table, sql in rows]
    for index in dropped:
        connection.execute(f'DROP INDEX "{index.name}"')
    return dropped


def build_indexes(connection: sqlite3.Connection, indexes: list[DroppedIndex]) -> None:
    threads = connection.execute("PRAGMA threads").fetchone()[0]
    cache_size = int(connection.execute("PRAGMA cache_size").fetchone()[0])
    connection.execute(f"PRAGMA threads = {SORTER_THREADS}")
    try:
        for index in indexes:
            large = _rows(connection, index.table) >= SMALL_RUNS_MIN_ROWS
            connection.execute(f"PRAGMA cache_size = {-SORTER_RUN_KIB if large else cache_size}")
            build_index(connection, index)
    finally:
        connection.execute(f"PRAGMA cache_size = {cache_size}")
        connection.execute(f"PRAGMA threads = {int(threads)}")


def _rows(connection: sqlite3.Connection, table: str) -> int:
    """The table's row count, near enough: its largest rowid (one seek)."""
    return int(connection.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0)


def build_index(connection: sqlite3.Connection, index: DroppedIndex) -> None:
    try:
        connection.execute(index.sql)
    except sqlite3.IntegrityError:
        # Only the failed statement is undone; the rare repeated ids cost a second sort.
        if not index.unique:
            raise
        keep_last_of_each_id(connection, index.table)
        connection.execute(index.sql)


def keep_last_of_ids(connection: sqlite3.Connection, table: str, ids: Collection[str]) -> int:
    """Delete every row whose id is one of ``ids`` and appears again in a later row (one scan,
    no sort); returns how many went."""
    if not ids:
        return 0
    copies = connection.execute(
        f"SELECT rowid, id FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(sorted(ids)).decode(),),
    ).fetchall()
    last: dict[str, int] = {}
    for rowid, row_id in copies:
        last[row_id] = max(rowid, last.get(row_id, rowid))
    earlier = [(rowid,) for rowid, row_id in copies if rowid != last[row_id]]
    connection.executemany(f"DELETE FROM {table} WHERE rowid = ?", earlier)
    return len(earlier)


def keep_last_of_each_id(connection: sqlite3.Connection, table: str) -> int:
    """Delete every row whose id appears again in a later row; returns how many went.

    One sort finds the repeated ids and the last copy of each; then one scan of the table looks
    each row up among them. (A window over all rows cost 2.8 s for 770k transactions where this
    costs 1.8 s.)
    """
    deleted = connection.execute(
        f"DELETE FROM {table} WHERE rowid IN ("
        f"  SELECT earlier.rowid FROM {table} AS earlier CROSS JOIN ("
        f"    SELECT id, MAX(rowid) AS last FROM {table} GROUP BY id HAVING COUNT(*) > 1"
        "  ) AS repeated ON earlier.id = repeated.id AND earlier.rowid < repeated.last"
        ")"
    )
    return int(deleted.rowcount)
