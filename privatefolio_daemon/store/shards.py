"""The ledger rows of one shard of a file import, in an SQLite file of their own.

A worker process writes a shard's audit logs and transactions into plain tables (no keys, no
indexes, no journal). The import then attaches every shard file to the account's writer and
copies the rows over in file order, inside its one transaction: the rows reach the ledger
through SQLite alone, without passing through Python again.
"""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from privatefolio_daemon.domain.records import AUDIT_LOG_DB_COLUMNS, TRANSACTION_DB_COLUMNS
from privatefolio_daemon.store.batch_insert import insert_or_replace

#: Ledger table → its table in a shard file.
SHARD_TABLES = {"audit_logs": "shard_audit_logs", "transactions": "shard_transactions"}
_COLUMNS = {"audit_logs": AUDIT_LOG_DB_COLUMNS, "transactions": TRANSACTION_DB_COLUMNS}


def create_shard_file(path: Path) -> sqlite3.Connection:
    """A new shard file with its empty tables, open in a transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -32768")
    for table, shard_table in SHARD_TABLES.items():
        connection.execute(f"CREATE TABLE {shard_table} ({', '.join(_COLUMNS[table])})")
    connection.execute("BEGIN")
    return connection


def insert_shard_rows(
    connection: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]
) -> None:
    """Append rows (in the ledger's ``db_row()`` order) to a shard's ``table``."""
    insert_or_replace(connection, SHARD_TABLES[table], _COLUMNS[table], rows)


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
    for table, shard_table in SHARD_TABLES.items():
        columns = ", ".join(_COLUMNS[table])
        cursor = connection.execute(
            f"INSERT OR REPLACE INTO main.{table} ({columns}) "
            f"SELECT {columns} FROM {name}.{shard_table} ORDER BY rowid"
        )
        counts.append(cursor.rowcount)
    return counts[0], counts[1]
