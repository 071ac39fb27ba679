"""``get*``/``count*`` methods that take a SQL string from the frontend run it through here."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.store.client_sql import run_client_query
from privatefolio_daemon.store.database import Database, Row


async def client_rows(
    db: Database,
    sql: str | None,
    params: Sequence[Any] | None,
    *,
    default_sql: str,
    budget_seconds: float,
) -> list[Row]:
    query = sql if sql else default_sql
    values = list(params or [])
    return await db.read(lambda conn: run_client_query(conn, query, values, budget_seconds))


async def client_count(
    db: Database,
    sql: str | None,
    params: Sequence[Any] | None,
    *,
    default_sql: str,
    budget_seconds: float,
) -> int:
    rows = await client_rows(
        db, sql, params, default_sql=default_sql, budget_seconds=budget_seconds
    )
    return int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0


@dataclass(frozen=True, slots=True)
class FrontendTable:
    """A table the frontend lists with its own SQL; these are its queries when it sends none."""

    select_sql: str
    count_sql: str

    async def rows(
        self, db: Database, sql: str | None, params: Sequence[Any] | None, budget: float
    ) -> list[Row]:
        return await client_rows(
            db, sql, params, default_sql=self.select_sql, budget_seconds=budget
        )

    async def count(
        self, db: Database, sql: str | None, params: Sequence[Any] | None, budget: float
    ) -> int:
        return await client_count(
            db, sql, params, default_sql=self.count_sql, budget_seconds=budget
        )
