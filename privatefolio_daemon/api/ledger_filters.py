"""Structured filters for audit logs and transactions, turned into parameterised SQL."""

from typing import Any, Literal, TypedDict

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.tags import checked_tag_name
from privatefolio_daemon.rpc.params import Count, closed
from privatefolio_daemon.store.ledger import AUDIT_LOG_ORDER_ASC, AUDIT_LOG_ORDER_DESC


@closed
class AuditLogFilter(TypedDict, total=False):
    assetId: str
    wallet: str
    platformId: str
    operation: str
    txId: str
    fileImportId: str
    connectionId: str
    fromTimestamp: int
    toTimestamp: int
    tag: str
    limit: Count
    offset: Count
    order: Literal["asc", "desc"]


@closed
class TransactionFilter(TypedDict, total=False):
    asset: str
    incomingAsset: str
    outgoingAsset: str
    wallet: str
    platformId: str
    type: str
    fileImportId: str
    connectionId: str
    fromTimestamp: int
    toTimestamp: int
    tag: str
    limit: Count
    offset: Count
    order: Literal["asc", "desc"]


#: How a result too large for one answer is read when the caller sent a filter, or nothing.
PAGING = (
    'read it in pages with the filter\'s "limit" and "offset" keys, e.g. '
    '{"limit": 10000, "offset": 0}'
)

_LOG_EQUALS = (
    "assetId",
    "wallet",
    "platformId",
    "operation",
    "txId",
    "fileImportId",
    "connectionId",
)
_TX_EQUALS = (
    "incomingAsset",
    "outgoingAsset",
    "wallet",
    "platformId",
    "type",
    "fileImportId",
    "connectionId",
)


def audit_log_query(filters: AuditLogFilter, *, count: bool = False) -> tuple[str, list[Any]]:
    clauses, params = _common(
        dict(filters), _LOG_EQUALS, "audit_logs", "audit_log_tags", "audit_log_id"
    )
    select = "SELECT COUNT(*) FROM audit_logs" if count else "SELECT audit_logs.* FROM audit_logs"
    order = AUDIT_LOG_ORDER_ASC if filters.get("order") == "asc" else AUDIT_LOG_ORDER_DESC
    return _finish(select, clauses, params, order, dict(filters), count)


def transaction_query(filters: TransactionFilter, *, count: bool = False) -> tuple[str, list[Any]]:
    values = dict(filters)
    clauses, params = _common(
        values, _TX_EQUALS, "transactions", "transaction_tags", "transaction_id"
    )
    if "asset" in values:
        clauses.append(
            "(transactions.incomingAsset = ? OR transactions.outgoingAsset = ? "
            "OR transactions.feeAsset = ?)"
        )
        params += [values["asset"]] * 3
    select = (
        "SELECT COUNT(*) FROM transactions" if count else "SELECT transactions.* FROM transactions"
    )
    direction = "ASC" if values.get("order") == "asc" else "DESC"
    order = f"ORDER BY timestamp {direction}, incomingN {direction}, id {direction}"
    return _finish(select, clauses, params, order, values, count)


def _common(
    values: dict[str, Any], equals: tuple[str, ...], table: str, tag_table: str, tag_column: str
) -> tuple[list[str], list[Any]]:
    clauses = [f"{table}.{name} = ?" for name in equals if name in values]
    params: list[Any] = [values[name] for name in equals if name in values]
    if "fromTimestamp" in values:
        clauses.append(f"{table}.timestamp >= ?")
        params.append(values["fromTimestamp"])
    if "toTimestamp" in values:
        clauses.append(f"{table}.timestamp <= ?")
        params.append(values["toTimestamp"])
    if "tag" in values:
        clauses.append(
            f"{table}.id IN (SELECT {tag_column} FROM {tag_table} JOIN tags ON tags.id = "
            f"{tag_table}.tag_id WHERE tags.name = ?)"
        )
        params.append(_tag_filter(values["tag"]))
    return clauses, params


def _finish(
    select: str,
    clauses: list[str],
    params: list[Any],
    order: str,
    values: dict[str, Any],
    count: bool,
) -> tuple[str, list[Any]]:
    sql = select + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
    # A count ignores the paging, so that one filter serves a page of rows and their total.
    if not count:
        sql += f" {order}"
        if "limit" in values or "offset" in values:
            sql += " LIMIT ? OFFSET ?"  # a limit of -1 is none
            params = [*params, values.get("limit", -1), values.get("offset", 0)]
    return sql, params


def _tag_filter(name: str) -> str:
    try:
        return checked_tag_name(name)
    except InvalidInputError as error:
        raise InvalidInputError(f"'query'.tag: {error}") from None
