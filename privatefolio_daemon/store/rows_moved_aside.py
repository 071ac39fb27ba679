"""Moving a row of an AUTOINCREMENT table to the next free id, to free its own for another."""

import sqlite3
from typing import Literal

Table = Literal["server_tasks", "server_files"]


def move_aside(connection: sqlite3.Connection, table: Table, row_id: int) -> int | None:
    """Give the row stored under ``row_id``, if any, the next id the table would give (and
    count it given); returns that id."""
    if connection.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is None:
        return None
    given = connection.execute(
        f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), "
        f"(SELECT coalesce(max(id), 0) FROM {table}))"
    ).fetchone()[0]
    fresh = int(given) + 1
    connection.execute(f"UPDATE {table} SET id = ? WHERE id = ?", (fresh, row_id))
    connection.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
    connection.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, fresh))
    return fresh
