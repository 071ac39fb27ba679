"""``readSql`` and ``executeSql``: SQL of the user's own, on one account."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.domain.raw_sql import RawSql
from privatefolio_daemon.rpc.owned_results import OwnedList
from privatefolio_daemon.rpc.registry import rpc_method


class RawSqlApi:
    def __init__(self, raw_sql_of: Callable[[str], RawSql]) -> None:
        self._raw_sql_of = raw_sql_of

    @rpc_method()
    async def readSql(
        self, accountName: str, sql: str, params: list[Any] | None = None
    ) -> list[list[Any]]:
        """The rows of a reading statement, as arrays (read-only connection, time budget)."""
        return OwnedList(await self._raw_sql_of(accountName).read(sql, params or []))

    @rpc_method()
    async def executeSql(
        self, accountName: str, sql: str, params: list[Any] | None = None
    ) -> list[list[Any]]:
        """Run one statement that reads or changes rows (no schema, PRAGMA or ATTACH); returns
        its rows as arrays. Changed audit logs recompute the derived data from the first day."""
        return OwnedList(await self._raw_sql_of(accountName).execute(sql, params or []))
