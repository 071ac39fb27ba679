"""The frontend's queries of trades, whatever the size of the trades the daemon wrote.

A trade's cost, fees, proceeds and deposits hold a row per transaction: a position held through
50,000 transactions stores each as about 9 MB of JSON, past the value a client query may return
(``client_sql.MAX_VALUE_BYTES``), which is there to bound what the query itself makes
(``randomblob``, ``printf``). When a query of trades meets one, it runs again with those columns
read as NULL, and they are filled in from the trades table by id: the daemon's own values,
uncapped, as the trades page needs the whole lists (its cost basis is theirs).
"""

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from privatefolio_daemon.store.client_sql import ColumnUsed, ValueTooLarge, run_client_query
from privatefolio_daemon.store.database import Row

#: The columns filled in, at their positions in ``SELECT *`` (data-model §2.13).
DETAIL_COLUMNS = ("cost", "fees", "proceeds", "deposits")
_FIRST = 10
_END = _FIRST + len(DETAIL_COLUMNS)
_UNREAD = frozenset(("trades", column) for column in DETAIL_COLUMNS)


def run_trades_query(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any], budget_seconds: float
) -> list[Row]:
    """Rows of a query of trades, columns as ``SELECT *`` (then txIds, auditLogIds). A query
    that filters or sorts by a detail column keeps the cap: read as NULL, it would change."""
    try:
        return run_client_query(connection, sql, params, budget_seconds)
    except ValueTooLarge as too_large:
        try:
            rows = run_client_query(connection, sql, params, budget_seconds, _UNREAD)
        except ColumnUsed:
            raise too_large from None
    return _filled(connection, rows)


def _filled(connection: sqlite3.Connection, rows: list[Row]) -> list[Row]:
    """The rows with their NULL detail columns taken from the trade of their id."""
    if not rows or len(rows[0]) < _END:
        return rows
    ids = orjson.dumps(sorted({str(row[0]) for row in rows})).decode()
    stored = {
        trade_id: details
        for trade_id, *details in connection.execute(
            f"SELECT id, {', '.join(DETAIL_COLUMNS)} FROM trades "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    }
    for index, row in enumerate(rows):
        if (details := stored.get(row[0])) is not None:
            middle = (
                value if value is not None else detail
                for value, detail in zip(row[_FIRST:_END], details, strict=True)
            )
            rows[index] = (*row[:_FIRST], *middle, *row[_END:])
    return rows
