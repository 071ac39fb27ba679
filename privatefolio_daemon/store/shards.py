"""The ledger rows of one shard of a file import, in an SQLite file of their own.

A worker process writes a shard's audit logs and transactions into tables created from the
ledger's own statements (no indexes, no journal). The import then attaches every shard file to
the account's writer and copies the rows over in file order, inside its one transaction: the
rows reach the ledger through SQLite alone, without passing through Python again.

A worker writes its shard with APSW, whose ``executemany`` binds a row's values in about half the
time the sqlite3 module takes: that was two fifths of a worker's time (decision 0004).
APSW brings its own, newer SQLite; a shard file uses nothing the daemon's older one cannot read.

Into a ledger table whose indexes are dropped for a bulk load, the copy is ``INSERT INTO …
SELECT *`` between two tables of the same definition, which SQLite runs as a transfer: each
row's stored record is appended as it is, not decoded into values and encoded again. It takes a
third to half the time of a copy column by column (decision 0004).
"""

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import apsw
import orjson

from privatefolio_daemon.domain.records import AUDIT_LOG_DB_COLUMNS, TRANSACTION_DB_COLUMNS
from privatefolio_daemon.store.database import PAGE_BYTES

#: The ledger tables a shard holds, and the columns its rows give (``db_row()`` order).
SHARD_COLUMNS = {"audit_logs": AUDIT_LOG_DB_COLUMNS, "transactions": TRANSACTION_DB_COLUMNS}
_INSERTS = {
    table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for table, columns in SHARD_COLUMNS.items()
}


def ledger_table_sql(connection: sqlite3.Connection) -> dict[str, str]:
    """The ``CREATE TABLE`` statements of the ledger tables a shard holds."""
    marks = ", ".join("?" for _ in SHARD_COLUMNS)
    rows = connection.execute(
        f"SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND name IN ({marks})",
        tuple(SHARD_COLUMNS),
    ).fetchall()
    return {str(name): str(sql) for name, sql in rows}


def create_shard_file(path: Path, table_sql: Mapping[str, str]) -> apsw.Connection:
    """A new shard file with the ledger's tables (``ledger_table_sql``), empty and without
    indexes, open in a transaction."""
    connection = apsw.Connection(str(path))
    connection.execute(f"PRAGMA page_size = {PAGE_BYTES}")
    connection.execute("PRAGMA journal_mode = OFF").fetchall()
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -32768")
    for table in SHARD_COLUMNS:
        connection.execute(table_sql[table])
    connection.execute("BEGIN")
    return connection


def insert_shard_rows(
    connection: apsw.Connection, table: str, rows: list[tuple[object, ...]]
) -> None:
    """Append rows (in the ledger's ``db_row()`` order) to a shard's ``table``."""
    if rows:
        connection.executemany(_INSERTS[table], rows)


def attach_shards(connection: sqlite3.Connection, paths: Sequence[Path]) -> list[str]:
    """Attach the shard files (outside a transaction); returns their schema names."""
    names: list[str] = []
    try:
        for number, path in enumerate(paths):
            name = f"shard{number}"
            connection.execute("ATTACH DATABASE ? AS " + name, (str(path),))
            names.append(name)
    except BaseException:
        detach_shards(connection, names)
        raise
    return names


def detach_shards(connection: sqlite3.Connection, names: Sequence[str]) -> None:
    for name in names:
        connection.execute("DETACH DATABASE " + name)


def copy_shard(connection: sqlite3.Connection, name: str) -> tuple[int, int]:
    """Copy an attached shard's rows into the ledger in their order; returns the counts."""
    counts: list[int] = []
    for table, columns in SHARD_COLUMNS.items():
        if _has_indexes(connection, table):
            listed = ", ".join(columns)
            sql = (
                f"INSERT OR REPLACE INTO main.{table} ({listed}) "
                f"SELECT {listed} FROM {name}.{table} ORDER BY rowid"
            )
        else:
            # The transfer: it keeps the shard's rowid order, and without indexes a repeated
            # id is left for the index build to resolve (``bulk_load``).
            sql = f"INSERT INTO main.{table} SELECT * FROM {name}.{table}"
        counts.append(connection.execute(sql).rowcount)
    return counts[0], counts[1]


def rename_repeated(
    connection: sqlite3.Connection, name: str, renames: dict[str, set[str]]
) -> None:
    """Rename, in an attached shard, the ids an earlier shard made too (``made_ids``): a merged
    log's id and a row's transaction id get the row index appended, and so do the ids of that
    row's logs."""
    merged_logs = renames.get("audit_logs")
    if merged_logs:
        connection.execute(
            f"UPDATE {name}.audit_logs SET id = id || '_' || CAST(importIndex AS INTEGER) "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(sorted(merged_logs)).decode(),),
        )
    row_ids = renames.get("rows")
    if row_ids:
        _rename_rows(connection, name, row_ids)


def _rename_rows(connection: sqlite3.Connection, name: str, row_ids: set[str]) -> None:
    rows = connection.execute(
        f"SELECT rowid, id, importIndex FROM {name}.transactions "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(sorted(row_ids)).decode(),),
    ).fetchall()
    rows = [row for row in rows if row[2] is not None]  # row 0 (stored as none) is never later
    renamed = {int(index): (old, f"{old}_{int(index)}") for _, old, index in rows}
    connection.executemany(
        f"UPDATE {name}.transactions SET id = ? WHERE rowid = ?",
        [(renamed[int(index)][1], rowid) for rowid, _, index in rows],
    )
    logs = connection.execute(
        f"SELECT rowid, id, txId, CAST(importIndex AS INTEGER) FROM {name}.audit_logs "
        "WHERE CAST(importIndex AS INTEGER) IN (SELECT value FROM json_each(?))",
        (orjson.dumps(sorted(renamed)).decode(),),
    ).fetchall()
    updates = []
    for rowid, log_id, tx_id, index in logs:
        old, new = renamed[index]
        if log_id.startswith(old):
            updates.append((new + log_id[len(old) :], new if tx_id == old else tx_id, rowid))
    connection.executemany(
        f"UPDATE {name}.audit_logs SET id = ?, txId = ? WHERE rowid = ?", updates
    )


def _has_indexes(connection: sqlite3.Connection, table: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? LIMIT 1",
        (table,),
    ).fetchone()
    return found is not None
