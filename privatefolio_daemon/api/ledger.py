"""Audit-log and transaction queries: frontend SQL strings or structured filters."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import client_count, client_rows, map_rows
from privatefolio_daemon.api.ledger_filters import (
    PAGING,
    AuditLogFilter,
    TransactionFilter,
    audit_log_query,
    transaction_query,
)
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.ledger import (
    AUDIT_LOG_ORDER_ASC,
    AUDIT_LOG_ORDER_DESC,
    TRANSACTION_ORDER,
    audit_log_to_wire,
    transaction_to_wire,
)


class LedgerApi:
    def __init__(self, db_of: Callable[[str], Database], budget_seconds: float) -> None:
        self._db_of = db_of
        self._budget = budget_seconds

    async def _rows(
        self,
        account: str,
        sql: str,
        params: list[Any] | None,
        *,
        from_client: bool = False,
        paging: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """The rows of ``sql``: the frontend's own (``from_client``), or the daemon's."""
        written = sql if from_client else None
        return await client_rows(
            self._db_of(account),
            written,
            params,
            default_sql=sql,
            budget_seconds=self._budget,
            paging=paging,
        )

    async def _count(
        self, account: str, sql: str, params: list[Any] | None, *, from_client: bool
    ) -> int:
        written = sql if from_client else None
        return await client_count(
            self._db_of(account), written, params, default_sql=sql, budget_seconds=self._budget
        )

    @rpc_method()
    async def getAuditLogs(
        self,
        accountName: str,
        query: str | AuditLogFilter | None = None,
        params: list[Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Audit logs, newest first: all, a frontend SQL query's, or those matching filters."""
        sql, values = _audit_log_sql(query, params, count=False)
        rows = await self._rows(accountName, sql, values, from_client=_is_sql(query), paging=PAGING)
        return await map_rows(rows, audit_log_to_wire, query)

    @rpc_method()
    async def countAuditLogs(
        self,
        accountName: str,
        query: str | AuditLogFilter | None = None,
        params: list[Any] | None = None,
    ) -> int:
        """How many audit logs (all, or matching a query or filters; a filter's limit, offset
        and order are ignored, so the count is the total to page through)."""
        sql, values = _audit_log_sql(query, params, count=True)
        return await self._count(accountName, sql, values, from_client=_is_sql(query))

    @rpc_method()
    async def getAuditLog(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One audit log, or null."""
        rows = await self._rows(accountName, "SELECT * FROM audit_logs WHERE id = ?", [id])
        return audit_log_to_wire(rows[0]) if rows else None

    @rpc_method()
    async def getAuditLogsForTransaction(self, accountName: str, txId: str) -> list[dict[str, Any]]:
        """The audit logs of one transaction."""
        sql = f"SELECT * FROM audit_logs WHERE txId = ? {AUDIT_LOG_ORDER_DESC}"
        return [audit_log_to_wire(row) for row in await self._rows(accountName, sql, [txId])]

    @rpc_method()
    async def getAuditLogsByTxId(self, accountName: str, txId: str) -> list[dict[str, Any]]:
        """The Privatefolio name of ``getAuditLogsForTransaction``."""
        return await self.getAuditLogsForTransaction(accountName, txId)

    @rpc_method()
    async def getAuditLogOrderQuery(self, ascending: bool = False) -> str:
        """The canonical ORDER BY clause of audit logs."""
        return AUDIT_LOG_ORDER_ASC if ascending else AUDIT_LOG_ORDER_DESC

    @rpc_method()
    async def getWallets(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """Distinct wallets of the audit logs, ascending."""
        sql = query or "SELECT DISTINCT wallet FROM audit_logs ORDER BY wallet ASC"
        rows = await self._rows(accountName, sql, params, from_client=bool(query))
        return [row[0] for row in rows]

    @rpc_method()
    async def getOperations(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """Distinct operations of the audit logs, ascending."""
        sql = query or "SELECT DISTINCT operation FROM audit_logs ORDER BY operation ASC"
        rows = await self._rows(accountName, sql, params, from_client=bool(query))
        return [row[0] for row in rows]

    @rpc_method()
    async def getMyPlatformIds(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """Distinct platforms of the audit logs, ascending."""
        sql = query or "SELECT DISTINCT platformId FROM audit_logs ORDER BY platformId ASC"
        rows = await self._rows(accountName, sql, params, from_client=bool(query))
        return [row[0] for row in rows]

    @rpc_method()
    async def getTransactions(
        self,
        accountName: str,
        query: str | TransactionFilter | None = None,
        params: list[Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Transactions, newest first: all, a frontend SQL query's, or those matching filters."""
        sql, values = _transaction_sql(query, params, count=False)
        rows = await self._rows(accountName, sql, values, from_client=_is_sql(query), paging=PAGING)
        return await map_rows(rows, transaction_to_wire, query)

    @rpc_method()
    async def countTransactions(
        self,
        accountName: str,
        query: str | TransactionFilter | None = None,
        params: list[Any] | None = None,
    ) -> int:
        """How many transactions (all, or matching a query or filters; a filter's limit,
        offset and order are ignored, so the count is the total to page through)."""
        sql, values = _transaction_sql(query, params, count=True)
        return await self._count(accountName, sql, values, from_client=_is_sql(query))

    @rpc_method()
    async def getTransaction(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One transaction, or null."""
        rows = await self._rows(accountName, "SELECT * FROM transactions WHERE id = ?", [id])
        return transaction_to_wire(rows[0]) if rows else None

    @rpc_method()
    async def getTransactionsByTxHash(self, accountName: str, txHash: str) -> list[dict[str, Any]]:
        """Transactions whose metadata names this blockchain transaction hash."""
        where = "json_extract(metadata, '$.txHash') = ?"
        sql = f"SELECT * FROM transactions WHERE {where} {TRANSACTION_ORDER}"
        return [transaction_to_wire(row) for row in await self._rows(accountName, sql, [txHash])]


def _is_sql(query: object) -> bool:
    return isinstance(query, str) and bool(query)


def _audit_log_sql(
    query: str | AuditLogFilter | None, params: list[Any] | None, *, count: bool
) -> tuple[str, list[Any]]:
    if isinstance(query, str) and query:
        return query, list(params or [])
    _refuse_params_without_sql(params, '{"assetId": "ex.binance:BTC"}')
    return audit_log_query(query or {}, count=count)


def _transaction_sql(
    query: str | TransactionFilter | None, params: list[Any] | None, *, count: bool
) -> tuple[str, list[Any]]:
    if isinstance(query, str) and query:
        return query, list(params or [])
    _refuse_params_without_sql(params, '{"asset": "ex.binance:BTC"}')
    return transaction_query(query or {}, count=count)


def _refuse_params_without_sql(params: list[Any] | None, example: str) -> None:
    if params:
        raise InvalidInputError(
            f"params are the values of an SQL query's ? marks; filters hold their own values "
            f"(e.g. {example})"
        )
