"""Reading ``server_tasks`` with the task rows the writer has not written yet.

A task queued while the account's writer is busy (an import's one transaction) has its id at
once and its row later (decision 0018). Meanwhile a read of the table, the frontend's own SQL
included, sees the row as it will be written: for the one statement, a temporary view named
``server_tasks`` on the read-only connection puts the unwritten rows in place of the table's rows
under their ids (a temporary object comes before the database's own of the same name).
"""

import sqlite3
from collections.abc import Callable, Sequence
from typing import TypeVar

from privatefolio_daemon.store.database import Row
from privatefolio_daemon.store.server_tasks import COLUMNS

T = TypeVar("T")

_COLUMNS = ", ".join(COLUMNS)
_SHOWN = (
    f"CREATE TEMP TABLE unwritten_server_tasks AS SELECT {_COLUMNS} FROM main.server_tasks WHERE 0",
    f"CREATE TEMP VIEW server_tasks AS SELECT {_COLUMNS} FROM main.server_tasks "
    "WHERE id NOT IN (SELECT id FROM temp.unwritten_server_tasks) "
    f"UNION ALL SELECT {_COLUMNS} FROM temp.unwritten_server_tasks",
)
_INSERT = (
    f"INSERT INTO temp.unwritten_server_tasks ({_COLUMNS}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)
_HIDDEN = (
    "DROP VIEW IF EXISTS temp.server_tasks",
    "DROP TABLE IF EXISTS temp.unwritten_server_tasks",
)


def reading_unwritten(
    rows: Sequence[Row], read: Callable[[sqlite3.Connection], T]
) -> Callable[[sqlite3.Connection], T]:
    """``read`` (of a read-only connection) with ``rows`` in ``server_tasks``; none: as it is."""
    if not rows:
        return read

    def read_with_rows(connection: sqlite3.Connection) -> T:
        _temporary(connection, _HIDDEN)  # what a read that failed to clear up left
        _temporary(connection, _SHOWN, rows)
        try:
            return read(connection)
        finally:
            _temporary(connection, _HIDDEN)

    return read_with_rows


def _temporary(
    connection: sqlite3.Connection, statements: Sequence[str], rows: Sequence[Row] = ()
) -> None:
    """Change the connection's temporary schema, which ``query_only`` forbids too."""
    connection.execute("PRAGMA query_only = 0")
    try:
        for statement in statements:
            connection.execute(statement)
        if rows:
            connection.executemany(_INSERT, rows)
    finally:
        connection.execute("PRAGMA query_only = 1")
