"""SQL of the ``key_value`` tables (account and server databases have the same one)."""

import sqlite3
from typing import Any

import orjson


def read_value(connection: sqlite3.Connection, key: str) -> Any:
    row = connection.execute("SELECT value FROM key_value WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def write_value(connection: sqlite3.Connection, key: str, value: Any) -> None:
    """Objects are stored as JSON text. The JSON column gives numeric text numeric affinity."""
    if isinstance(value, dict | list):
        value = orjson.dumps(value).decode()
    connection.execute("INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)", (key, value))


def delete_value(connection: sqlite3.Connection, key: str) -> None:
    connection.execute("DELETE FROM key_value WHERE key = ?", (key,))
