"""Running SQL that the frontend sends, safely.

The Privatefolio frontend builds ``SELECT … LIMIT n OFFSET m`` strings for its tables. They run only
on a read-only connection (``mode=ro`` and ``query_only``), under an authorizer that allows reading
and nothing else (no writes, no ATTACH, no extensions, no PRAGMA that changes anything), and under
a time budget enforced by the progress handler.
"""

import sqlite3
from collections.abc import Sequence
from typing import Any

from privatefolio_daemon.store.database import Row, with_time_budget

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_READ_ONLY_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info"})


class UnsafeQuery(Exception):
    """The query tries to do more than read."""


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
    if action in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and arg1 in _READ_ONLY_PRAGMAS and arg2 is None:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def run_client_query(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any], budget_seconds: float
) -> list[Row]:
    """Rows of a frontend query. Raises ``UnsafeQuery`` for anything but a read."""
    if not sql.strip():
        raise UnsafeQuery("The query is empty")
    connection.set_authorizer(_authorize)
    try:
        return with_time_budget(
            connection, budget_seconds, lambda conn: conn.execute(sql, tuple(params)).fetchall()
        )
    except sqlite3.DatabaseError as error:
        if "not authorized" in str(error) or "prohibited" in str(error):
            raise UnsafeQuery(f"Only reading queries are allowed: {sql}") from error
        if "one statement at a time" in str(error):
            raise UnsafeQuery(f"Only one statement is allowed: {sql}") from error
        raise
    finally:
        connection.set_authorizer(None)
