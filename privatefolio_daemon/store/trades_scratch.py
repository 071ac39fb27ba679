"""A scratch database where a long trades run is computed off the account's writer.

The scratch file holds copies of the trades tables and of ``key_value`` (empty for a run that
starts over, filled from the ledger for a refresh); the account's database is attached to it
read-only as ``ledger``. SQLite looks an unqualified table name up in
``main`` first, so the trades code reads the audit logs, transactions, prices and balances of the
account and writes its trades, links, PnL rows and cursors into the scratch file, unchanged.
Still off the writer, the scratch tables are compared with the ledger's; applying the result
then writes only the rows that differ, in one short transaction on the writer.
"""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from privatefolio_daemon.store.key_value import write_value
from privatefolio_daemon.store.trade_tag_carry import remember_tagged_trades

TRADE_TABLES = ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl")
GENERATION_KEY = "tradesGeneration"
"""Raised by every invalidation of the trades (every change of the ledger): a result computed
from a snapshot taken before it is out of date."""


def open_scratch(ledger: Path, scratch: Path) -> sqlite3.Connection:
    """A new scratch file with the ledger's trades and key-value tables, the ledger attached."""
    connection = sqlite3.connect(scratch, uri=True, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("ATTACH DATABASE ? AS ledger", (f"{ledger.resolve().as_uri()}?mode=ro",))
    names = ", ".join("?" for _ in (*TRADE_TABLES, "key_value"))
    schema = connection.execute(
        f"SELECT sql FROM ledger.sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL "
        "ORDER BY type = 'index', rowid",
        (*TRADE_TABLES, "key_value"),
    ).fetchall()
    for (sql,) in schema:
        connection.execute(sql)
    return connection


def copy_trades_in(connection: sqlite3.Connection, keys: Sequence[str]) -> None:
    """The ledger's trades tables and ``keys`` entries, into the scratch file's."""
    for table in TRADE_TABLES:
        connection.execute(f"INSERT INTO main.{table} SELECT * FROM ledger.{table}")
    marks = ", ".join("?" for _ in keys)
    connection.execute(
        f"INSERT INTO main.key_value SELECT * FROM ledger.key_value WHERE key IN ({marks})", keys
    )


def generation(connection: sqlite3.Connection, schema: str = "main") -> int:
    row = connection.execute(
        f"SELECT value FROM {schema}.key_value WHERE key = ?", (GENERATION_KEY,)
    ).fetchone()
    return int(row[0]) if row is not None and isinstance(row[0], int) else 0


def next_generation(connection: sqlite3.Connection) -> None:
    write_value(connection, GENERATION_KEY, generation(connection) + 1)


def diff_with_ledger(connection: sqlite3.Connection) -> None:
    """In the scratch file, within the run's read transaction: per trades table, the primary keys
    of the ledger rows with no identical scratch row (``<table>_gone``) and the scratch rows with
    no identical ledger row (``<table>_new``). Deleting the first from the ledger's table and
    inserting the second makes it the scratch one."""
    for table in TRADE_TABLES:
        columns, key = _columns(connection, table), _key(connection, table)
        # In key order, each row's lookup lands beside the last (1M rows: 5.0 s instead of 6.8 s)
        connection.execute(
            f"CREATE TABLE main.{table}_gone AS SELECT {key} FROM ledger.{table} AS x "
            f"WHERE {_unmatched_in('main', table, columns)} ORDER BY {key}"
        )
        connection.execute(
            f"CREATE TABLE main.{table}_new AS SELECT * FROM main.{table} AS x "
            f"WHERE {_unmatched_in('ledger', table, columns)} ORDER BY {key}"
        )


def apply_scratch(connection: sqlite3.Connection, keys: Sequence[str]) -> None:
    """Make the trades tables and the ``keys`` entries those of the attached scratch file, inside
    the caller's transaction, writing only the rows that differ (``diff_with_ledger``)."""
    remember_tagged_trades(connection, "AND id IN (SELECT id FROM scratch.trades_gone)")
    for table in TRADE_TABLES:
        primary = _key(connection, table)
        connection.execute(
            f"DELETE FROM main.{table} "
            f"WHERE ({primary}) IN (SELECT {primary} FROM scratch.{table}_gone)"
        )
        connection.execute(f"INSERT INTO main.{table} SELECT * FROM scratch.{table}_new")
    for key in keys:
        connection.execute("DELETE FROM main.key_value WHERE key = ?", (key,))
        connection.execute(
            "INSERT INTO main.key_value SELECT * FROM scratch.key_value WHERE key = ?", (key,)
        )


def _unmatched_in(schema: str, table: str, columns: list[str]) -> str:
    """SQL: row ``x`` has no identical row in ``schema.table``."""
    x, y = (", ".join(f"{alias}.{name}" for name in columns) for alias in "xy")
    # IS matches NULLs; the columns' affinities leave no two stored values equal yet unlike (1, 1.0)
    return f"NOT EXISTS (SELECT 1 FROM {schema}.{table} AS y WHERE ({y}) IS ({x}))"


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [
        name for (name,) in connection.execute("SELECT name FROM pragma_table_info(?)", (table,))
    ]


def _key(connection: sqlite3.Connection, table: str) -> str:
    """The table's primary key columns, as an SQL list."""
    rows = connection.execute(
        "SELECT name FROM pragma_table_info(?) WHERE pk ORDER BY pk", (table,)
    )
    return ", ".join(name for (name,) in rows)


def attach_scratch(connection: sqlite3.Connection, scratch: Path) -> None:
    connection.execute("ATTACH DATABASE ? AS scratch", (str(scratch),))


def detach_scratch(connection: sqlite3.Connection) -> None:
    connection.execute("DETACH DATABASE scratch")
