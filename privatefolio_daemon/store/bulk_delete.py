"""Deleting a large share of a ledger table: drop its indexes, delete, build them again.

Each deleted row leaves every index of its table by a B-tree search and a rebalance; when a file
import or a connection takes much of the table with it, building the indexes of the rows that
stay is far cheaper. Removing the import of a 100k-row statement (98,887 audit logs and 77,108
transactions, the whole ledger) took 0.42–0.51 s row by row and 0.05 s so. Per row, a deletion
costs about 2.6 µs and a rebuild about 1.7 µs for each row that stays, so the rebuild is chosen
once the rows that go are as many as those that stay.
"""

import sqlite3

from privatefolio_daemon.store.bulk_load import deferred_indexes

#: Below this many rows, deleting them one by one is quick whatever the share.
MIN_REBUILD_ROWS = 10_000


def delete_where_equal(connection: sqlite3.Connection, table: str, column: str, value: str) -> int:
    """``DELETE FROM table WHERE column = value``, through an index rebuild when it deletes at
    least as many rows as it leaves; returns how many went. Must run inside a transaction."""
    delete = f"DELETE FROM {table} WHERE {column} = ?"
    going = count_where_equal(connection, table, column, value)
    if going < MIN_REBUILD_ROWS or going < _rows_near_enough(connection, table) - going:
        return int(connection.execute(delete, (value,)).rowcount)
    with deferred_indexes(connection, (table,)):
        return int(connection.execute(delete, (value,)).rowcount)


def count_where_equal(connection: sqlite3.Connection, table: str, column: str, value: str) -> int:
    sql = f"SELECT COUNT(*) FROM {table} WHERE {column} = ?"
    return int(connection.execute(sql, (value,)).fetchone()[0])


def _rows_near_enough(connection: sqlite3.Connection, table: str) -> int:
    """The table's largest rowid: its row count or more, in one seek."""
    return int(connection.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0)
