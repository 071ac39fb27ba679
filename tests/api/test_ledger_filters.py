"""Structured filters of ``getAuditLogs``/``countAuditLogs``/``getTransactions``/
``countTransactions``: each narrows the rows as named, pages hold, and a key that is not a filter
is refused rather than ignored (which would widen the result to every row)."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import STOCK_BUY, SWAP, T

DEPOSIT = {
    "type": "Deposit",
    "timestamp": T + 2000,
    "wallet": "Cold",
    "platformId": "ex.binance",
    "incoming": "2",
    "incomingAsset": "ex.binance:ETH",
}


@pytest.fixture
async def ledger(client: DaemonClient) -> DaemonClient:
    """MANUAL_1 a swap at T (Binance Spot), MANUAL_2 a stock buy at T+1s (Broker), MANUAL_3 a
    deposit at T+2s (Cold); MANUAL_2 is tagged "otc"."""
    await client.call("createAccount", "main")
    for entry in (SWAP, STOCK_BUY, DEPOSIT):
        await client.call("addTransaction", entry, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_2", "otc")
    await client.call("assignTagToAuditLog", "main", "MANUAL_3_BUY", "otc")
    return client


async def transaction_ids(client: DaemonClient, query: dict[str, Any]) -> list[str]:
    return [tx["id"] for tx in await client.call("getTransactions", "main", query)]


async def log_ids(client: DaemonClient, query: dict[str, Any]) -> list[str]:
    return [log["id"] for log in await client.call("getAuditLogs", "main", query)]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({}, ["MANUAL_3", "MANUAL_2", "MANUAL_1"]),
        ({"order": "asc"}, ["MANUAL_1", "MANUAL_2", "MANUAL_3"]),
        ({"asset": "ex.binance:ETH"}, ["MANUAL_3", "MANUAL_1"]),
        ({"asset": "ex.binance:MANA"}, ["MANUAL_1"]),  # its incoming and fee asset
        ({"incomingAsset": "stock:AAPL"}, ["MANUAL_2"]),
        ({"outgoingAsset": "ex.binance:ETH"}, ["MANUAL_1"]),
        ({"wallet": "Cold"}, ["MANUAL_3"]),
        ({"platformId": "ex.binance"}, ["MANUAL_3", "MANUAL_1"]),
        ({"type": "Buy"}, ["MANUAL_2"]),
        ({"fromTimestamp": T + 1000}, ["MANUAL_3", "MANUAL_2"]),
        ({"toTimestamp": T + 1000}, ["MANUAL_2", "MANUAL_1"]),
        ({"fromTimestamp": T + 1000, "toTimestamp": T + 1000}, ["MANUAL_2"]),
        ({"tag": "otc"}, ["MANUAL_2"]),
        ({"tag": " otc "}, ["MANUAL_2"]),  # as the tag was named
        ({"limit": 2}, ["MANUAL_3", "MANUAL_2"]),
        ({"limit": 2, "offset": 2}, ["MANUAL_1"]),
        ({"offset": 1}, ["MANUAL_2", "MANUAL_1"]),
        ({"offset": 1, "order": "asc"}, ["MANUAL_2", "MANUAL_3"]),
        ({"platformId": "ex.binance", "wallet": "Binance Spot"}, ["MANUAL_1"]),
    ],
)
async def test_transaction_filters_narrow_and_page(
    ledger: DaemonClient, query: dict[str, Any], ids: list[str]
) -> None:
    assert await transaction_ids(ledger, query) == ids
    unpaged = {key: value for key, value in query.items() if key not in ("limit", "offset")}
    # A count is the total to page through: it ignores the paging.
    total = len(await transaction_ids(ledger, unpaged))
    assert await ledger.call("countTransactions", "main", query) == total


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({"assetId": "ex.binance:ETH"}, ["MANUAL_3_BUY", "MANUAL_1_SELL"]),
        ({"operation": "Fee"}, ["MANUAL_1_FEE"]),
        ({"txId": "MANUAL_2"}, ["MANUAL_2_SELL", "MANUAL_2_BUY"]),
        ({"wallet": "Broker", "order": "asc"}, ["MANUAL_2_BUY", "MANUAL_2_SELL"]),
        ({"fromTimestamp": T + 2000}, ["MANUAL_3_BUY"]),
        ({"tag": "otc"}, ["MANUAL_3_BUY"]),
        ({"offset": 5}, ["MANUAL_1_FEE"]),
    ],
)
async def test_audit_log_filters_narrow_and_page(
    ledger: DaemonClient, query: dict[str, Any], ids: list[str]
) -> None:
    assert sorted(await log_ids(ledger, query)) == sorted(ids)
    total = 6 if "offset" in query else len(ids)
    assert await ledger.call("countAuditLogs", "main", query) == total


TRANSACTION_KEYS = (
    "asset, incomingAsset, outgoingAsset, wallet, platformId, type, fileImportId, connectionId, "
    "fromTimestamp, toTimestamp, tag, limit, offset, order"
)
AUDIT_LOG_KEYS = (
    "assetId, wallet, platformId, operation, txId, fileImportId, connectionId, fromTimestamp, "
    "toTimestamp, tag, limit, offset, order"
)


@pytest.mark.parametrize(
    ("method", "query", "message"),
    [
        (
            "getTransactions",
            {"assetId": "ex.binance:BTC"},
            f"'query' has no key 'assetId' (its keys are: {TRANSACTION_KEYS})",
        ),
        (
            "countTransactions",
            {"wallet": "Cold", "platform": "ex.binance"},
            f"'query' has no key 'platform' (its keys are: {TRANSACTION_KEYS})",
        ),
        (
            "getAuditLogs",
            {"asset": "ex.binance:ETH"},
            f"'query' has no key 'asset' (its keys are: {AUDIT_LOG_KEYS})",
        ),
        (
            "countAuditLogs",
            {"bogus": "x"},
            f"'query' has no key 'bogus' (its keys are: {AUDIT_LOG_KEYS})",
        ),
    ],
)
async def test_a_key_that_is_not_a_filter_is_refused(
    ledger: DaemonClient, method: str, query: dict[str, Any], message: str
) -> None:
    with pytest.raises(RpcCallError) as caught:
        await ledger.call(method, "main", query)
    assert (caught.value.code, caught.value.message) == (-32602, f"Invalid params: {message}")


@pytest.mark.parametrize(
    "method", ["getAuditLogs", "countAuditLogs", "getTransactions", "countTransactions"]
)
@pytest.mark.parametrize("query", [{"wallet": "Spot"}, None])
async def test_params_without_an_sql_query_are_refused(
    ledger: DaemonClient, method: str, query: dict[str, Any] | None
) -> None:
    with pytest.raises(RpcCallError) as caught:
        await ledger.call(method, "main", query, ["Spot"])
    example = '{"asset": ' if "Transactions" in method else '{"assetId": '
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "params are the values of an SQL query's ? marks; filters hold their own values "
        f'(e.g. {example}"ex.binance:BTC"}})',
    )
    assert await ledger.call(method, "main", query, []) == await ledger.call(method, "main", query)


async def test_the_published_schema_closes_the_filters(client: DaemonClient) -> None:
    document = await client.call("rpc.discover")
    [method] = [m for m in document["methods"] if m["name"] == "getTransactions"]
    [query] = [param for param in method["params"] if param["name"] == "query"]
    [filters] = [option for option in query["schema"]["anyOf"] if option.get("type") == "object"]
    assert filters["additionalProperties"] is False


@pytest.mark.parametrize("method", ["getTransactions", "countAuditLogs"])
async def test_a_blank_tag_filter_is_refused(ledger: DaemonClient, method: str) -> None:
    with pytest.raises(RpcCallError) as caught:
        await ledger.call(method, "main", {"tag": " "})
    assert (caught.value.code, caught.value.message) == (-32602, "'query'.tag: A tag needs a name")


async def test_transactions_of_one_time_have_one_order_both_ways(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    same = {**DEPOSIT, "incoming": "1"}
    for _ in range(12):
        tx_id = await client.call("addTransaction", same, "main")
        await client.call("assignTagToTransaction", "main", tx_id, "x")
    for query in ({}, {"tag": "x"}):
        newest_first = await transaction_ids(client, query)
        assert await transaction_ids(client, {**query, "order": "asc"}) == newest_first[::-1]
        pages = [
            await transaction_ids(client, {**query, "limit": 5, "offset": n}) for n in (0, 5, 10)
        ]
        assert [tx_id for page in pages for tx_id in page] == newest_first


PAGED = (
    'read it in pages with the filter\'s "limit" and "offset" keys, e.g. '
    '{"limit": 10000, "offset": 0}'
)
NUMBERS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "


async def refusal(client: DaemonClient, method: str, *params: object) -> tuple[int, str]:
    with pytest.raises(RpcCallError) as caught:
        await client.call(method, "main", *params)
    return caught.value.code, caught.value.message


async def test_a_ledger_too_large_for_one_answer_is_paged_with_the_filter(
    client: DaemonClient, daemon: Daemon
) -> None:
    """The caps on an answer hold for the daemon's own query too; a caller who wrote no SQL is
    told to page with the filter's keys, not to add a LIMIT to SQL it never wrote."""
    await client.call("createAccount", "main")
    db = daemon.accounts.get("main")
    await db.execute(
        NUMBERS.format(count=200_001)
        + "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) SELECT 'l' || i, 'ex.binance:BTC', '1', 0, 'Deposit', "
        "'ex.binance', i, 't' || i, 'Spot' FROM n"
    )
    await db.execute(
        NUMBERS.format(count=200_001)
        + "INSERT INTO transactions (id, incomingAsset, incoming, platformId, timestamp, type, "
        "wallet) SELECT 't' || i, 'ex.binance:BTC', '1', 'ex.binance', i, 'Deposit', 'Spot' FROM n"
    )
    too_many = (-32602, f"The result has more than 200,000 rows: {PAGED}")

    for method in ("getAuditLogs", "getTransactions"):
        assert await refusal(client, method) == too_many
        assert await refusal(client, method, {"order": "asc"}) == too_many
        assert await refusal(client, method, {"wallet": "Spot"}) == too_many
        [oldest] = await client.call(method, "main", {"limit": 10000, "offset": 200_000})
        assert oldest["timestamp"] == 1
    assert await refusal(client, "getAuditLogs", "SELECT * FROM audit_logs") == (
        -32602,
        "The result has more than 200,000 rows: add a LIMIT, or read it in pages with LIMIT "
        "and OFFSET",
    )


async def test_a_ledger_of_too_much_text_for_one_answer_is_paged_with_the_filter(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").execute(
        NUMBERS.format(count=9)
        + "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) SELECT 'l' || i, 'ex.binance:BTC', '1', 0, 'Deposit', 'ex.binance', "
        "i, printf('%.*c', 8000000, 'x') FROM n"
    )

    assert await refusal(client, "getAuditLogs") == (
        -32602,
        f"The result is larger than 64 MiB of text: {PAGED}",
    )
    assert len(await client.call("getAuditLogs", "main", {"limit": 2})) == 2
