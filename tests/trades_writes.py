"""Rows written to an account's trades tables, recorded by SQLite triggers on one connection."""

import sqlite3

TRADE_ID = {
    "trades": "id",
    "trade_audit_logs": "trade_id",
    "trade_transactions": "trade_id",
    "trade_pnl": "trade_id",
}
"""Each trades table, and its column naming the trade a row belongs to."""

Write = tuple[str, str, str]
"""(table, "INSERT", "DELETE" or "UPDATE", the id of the trade the row belongs to)"""


def record_trades_writes(connection: sqlite3.Connection) -> None:
    """From now on, every row this connection writes to a trades table is recorded."""
    connection.execute("CREATE TEMP TABLE trades_written (tbl TEXT, op TEXT, trade TEXT)")
    for table, trade in TRADE_ID.items():
        for op, row in (("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")):
            connection.execute(
                f"CREATE TEMP TRIGGER {table}_{op}_recorded AFTER {op} ON main.{table} BEGIN "
                f"INSERT INTO trades_written VALUES ('{table}', '{op}', {row}.{trade}); END"
            )


def trades_writes(connection: sqlite3.Connection) -> list[Write]:
    """The rows written since ``record_trades_writes``; forgets them."""
    written = connection.execute("SELECT tbl, op, trade FROM temp.trades_written").fetchall()
    connection.execute("DELETE FROM temp.trades_written")
    return [(table, op, trade) for table, op, trade in written]
