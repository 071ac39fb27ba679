"""``INSERT OR REPLACE`` of a batch of rows that binds only the columns that vary in the batch.

The sqlite3 module spends most of an ``executemany`` row binding its parameters, one by one.
The rows of one import batch share many values: the file import id, the platform, and the
columns that are NULL throughout (a file import's ``connectionId``, a deposit's fee). Such a
column is written into the statement as a literal, and only the others are bound. An insert of
a Binance batch binds 8 of 13 audit-log columns and 7 of 18 transaction columns, which takes
about a third off the time it spends in the sqlite3 module (decision 0004). The rows go in a
few hundred per statement (``multi_row``).
"""

import sqlite3
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from privatefolio_daemon.store.multi_row import execute_values

#: Below this many rows, looking for shared values costs more than binding them.
MIN_ROWS_TO_TRIM = 8
#: A longer shared value is bound: each row of a statement repeats its literal.
MAX_LITERAL_LENGTH = 256


def insert_or_replace(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``, replacing equal keys."""
    if not rows:
        return
    if len(rows) < MIN_ROWS_TO_TRIM:
        connection.executemany(_statement(table, columns, [None] * len(columns)), rows)
        return
    literals = [_shared_literal(rows, index) for index in range(len(columns))]
    varying = [index for index, literal in enumerate(literals) if literal is None]
    insert = f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES "
    rows_to_bind = _project(rows, varying)
    execute_values(connection, (insert, ""), _row_values(literals), len(varying), rows_to_bind)


def _statement(table: str, columns: Sequence[str], literals: Sequence[str | None]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES {_row_values(literals)}"


def _row_values(literals: Sequence[str | None]) -> str:
    return "(" + ", ".join("?" if literal is None else literal for literal in literals) + ")"


def _project(rows: list[tuple[Any, ...]], indexes: list[int]) -> list[tuple[Any, ...]]:
    if not indexes:
        return [()] * len(rows)
    if len(indexes) == 1:
        (only,) = indexes
        return [(row[only],) for row in rows]
    return list(map(itemgetter(*indexes), rows))


def _shared_literal(rows: list[tuple[Any, ...]], index: int) -> str | None:
    """The SQL literal of the value every row has in this column, or None if they differ."""
    first = rows[0][index]
    literal = sql_literal(first)
    if literal is None:
        return None
    column = list(map(itemgetter(index), rows))
    if column.count(first) != len(column):
        return None
    if type(first) is int and list(map(type, column)).count(int) != len(column):
        return None  # 1 == 1.0 == True, but each is stored as what it is
    return literal


def sql_literal(value: Any) -> str | None:
    """``value`` as an SQL literal of the same storage class, or None where binding is safer."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and len(value) <= MAX_LITERAL_LENGTH and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return None
