"""Queries over a long list of ids, a few hundred ids per ``IN (…)``: SQLite caps how many
parameters one statement binds."""

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

IDS_PER_STATEMENT = 500


def rows_where_in(
    connection: sqlite3.Connection, sql: str, ids: Sequence[Any], *leading: Any
) -> Iterator[Any]:
    """The rows of ``sql`` for ``ids``: its ``{marks}`` becomes each chunk's placeholders, and
    ``leading`` parameters come before the chunk's."""
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        chunk = ids[start : start + IDS_PER_STATEMENT]
        marks = ", ".join("?" for _ in chunk)
        yield from connection.execute(sql.format(marks=marks), (*leading, *chunk))
