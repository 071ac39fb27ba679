"""``get*``/``count*`` methods that take a SQL string from the frontend run it through here."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from sqlite3 import Connection
from typing import Any, TypeVar

from privatefolio_daemon.answer_memory import read_in_turn
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.large_lists import empty_in_parts
from privatefolio_daemon.rpc.owned_results import OwnedList
from privatefolio_daemon.store.client_sql import ResultTooLarge, run_client_query
from privatefolio_daemon.store.database import Database, Row

#: How a method runs a frontend query: ``(connection, sql, params, budget seconds)``.
ClientQuery = Callable[[Connection, str, Sequence[Any], float], list[Row]]


async def client_rows(
    db: Database,
    sql: str | None,
    params: Sequence[Any] | None,
    *,
    default_sql: str,
    budget_seconds: float,
    paging: str | None = None,
    run: ClientQuery = run_client_query,
) -> list[Row]:
    """``paging``: how a caller who sent no SQL reads in parts a result of the daemon's own query
    that is too large for one answer (the caps hold for it too), instead of being told to add a
    LIMIT to SQL it never wrote. ``run``: the method's way to run a query, if not the plain one.
    A large result takes its turn in the daemon's budget for answers (``answer_memory``)."""
    values = list(params or [])
    if not sql:  # the daemon's own query: its readers run it
        try:
            return await read_in_turn(
                lambda: db.read(lambda conn: run(conn, default_sql, values, budget_seconds))
            )
        except ResultTooLarge as error:
            if paging is None:
                raise
            raise ResultTooLarge(error.size, paging) from None
    return await read_in_turn(
        lambda: db.read_client(
            lambda conn: run(conn, sql, values, budget_seconds), wait_seconds=budget_seconds
        )
    )


async def client_count(
    db: Database,
    sql: str | None,
    params: Sequence[Any] | None,
    *,
    default_sql: str,
    budget_seconds: float,
    run: ClientQuery = run_client_query,
) -> int:
    rows = await client_rows(
        db, sql, params, default_sql=default_sql, budget_seconds=budget_seconds, run=run
    )
    value = rows[0][0] if rows and rows[0] else None
    if value is None:
        return 0
    if not isinstance(value, int | float) or not float(value).is_integer():
        raise InvalidInputError(f"A count query must return a whole number, not {value!r}")
    if abs(value) >= 2**63:
        raise InvalidInputError(f"A count query must return a number below 2^63, not {value!r}")
    return int(value)


T = TypeVar("T")


#: From this many bytes on, rows are made records on a thread, so the event loop goes on: 2,000
#: rows of a ledger, or one trade whose lists hold a few thousand transactions.
BYTES_MAPPED_OFF_THE_LOOP = 256 * 1024
#: The bytes a value other than a text is counted as.
_VALUE_BYTES = 8


async def map_rows(rows: Sequence[Row], to_wire: Callable[[Row], T], query: object) -> list[T]:
    """The wire records of rows a method reads column by column. When they are the rows of the
    frontend's own ``query``, columns other than those of ``SELECT *`` are the caller's mistake,
    told clearly; the rows of the method's own SQL are read as they are. Rows of many bytes (many
    rows, or a few long texts) are mapped on a thread, which then empties the list of rows (the
    caller's to give) a part at a time."""
    if not _bytes_reach(rows, BYTES_MAPPED_OFF_THE_LOOP):
        return _mapped(rows, to_wire, query)
    return await asyncio.to_thread(_mapped_and_released, rows, to_wire, query)


def _bytes_reach(rows: Sequence[Row], limit: int) -> bool:
    """Whether the rows' texts (and other values, ``_VALUE_BYTES`` each) reach ``limit`` bytes;
    the count stops there, so it costs at most ``limit / _VALUE_BYTES`` steps."""
    size = 0
    for row in rows:
        for value in row:
            size += len(value) if type(value) is str else _VALUE_BYTES
        if size >= limit:
            return True
    return False


def _mapped_and_released(
    rows: Sequence[Row], to_wire: Callable[[Row], T], query: object
) -> list[T]:
    records = OwnedList(_mapped(rows, to_wire, query))
    if isinstance(rows, list):
        empty_in_parts(rows)
    return records


def _mapped(rows: Sequence[Row], to_wire: Callable[[Row], T], query: object) -> list[T]:
    if not isinstance(query, str) or not query:
        return [to_wire(row) for row in rows]
    try:
        return [to_wire(row) for row in rows]
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as error:
        raise InvalidInputError(
            f"The query's rows cannot be read as this method's records (select the same "
            f"columns, in the same order, as SELECT * does): {error}"
        ) from error


def require_columns(rows: Sequence[Row], columns: Sequence[str]) -> Sequence[Row]:
    """The rows of a frontend query that a method reads by position, checked to be wide enough."""
    if rows and len(rows[0]) < len(columns):
        raise InvalidInputError(
            f"The query must return the columns {', '.join(columns)} in that order, "
            f"not {len(rows[0])} column{'s' if len(rows[0]) != 1 else ''}"
        )
    return rows


@dataclass(frozen=True, slots=True)
class FrontendTable:
    """A table the frontend lists with its own SQL; these are its queries when it sends none."""

    select_sql: str
    count_sql: str
    run: ClientQuery = run_client_query

    async def rows(
        self, db: Database, sql: str | None, params: Sequence[Any] | None, budget: float
    ) -> list[Row]:
        return await client_rows(
            db, sql, params, default_sql=self.select_sql, budget_seconds=budget, run=self.run
        )

    async def count(
        self, db: Database, sql: str | None, params: Sequence[Any] | None, budget: float
    ) -> int:
        return await client_count(
            db, sql, params, default_sql=self.count_sql, budget_seconds=budget
        )
