"""A frontend query that does not fit the method it is sent to gets a clear invalid-params error."""

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError

SHAPE = (
    "The query's rows cannot be read as this method's records (select the same columns, in the "
    "same order, as SELECT * does): "
)


COUNT = "A count query must return a whole number, not "
FAILED = "The statement failed: "
BINDINGS = (
    "Incorrect number of bindings supplied. The current statement uses 0, and there are 1 supplied."
)
WIDE = "SELECT " + ", ".join(str(n) for n in range(14))
TAG_COLUMNS = "The query must return the columns id, name in that order, not 1 column"
NOT_JSON = "Input must be bytes, bytearray, memoryview, or str: line 1 column 1 (char 0)"
NOT_A_FIELD = "A notification patch cannot set colour: give title, text, status or metadata"
CASES = [
    (("countNotifications", "main", "SELECT 'many'"), COUNT + "'many'"),
    (("countAuditLogs", "main", "SELECT 2.5"), COUNT + "2.5"),
    (("getTags", "main", "SELECT 1"), TAG_COLUMNS),
    (("getTrades", "main", WIDE), SHAPE + NOT_JSON),
    (("getServerTasks", "main", "SELECT 1", [7]), FAILED + BINDINGS),
    (("getAuditLogs", "main", "SELECT * FROM nowhere"), FAILED + "no such table: nowhere"),
    (("patchNotification", "main", 1, {"colour": "red"}), NOT_A_FIELD),
]  # fmt: skip


@pytest.mark.parametrize(("call", "message"), CASES)
async def test_a_query_that_does_not_fit_gets_a_clear_error(
    client: DaemonClient, call: tuple[object, ...], message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("createAndPushNotification", "main", "title", "text")
    with pytest.raises(RpcCallError) as caught:
        await client.call(*call)
    assert (caught.value.code, caught.value.message) == (-32602, message)


async def test_a_count_that_is_a_whole_float_is_a_count(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await client.call("countAuditLogs", "main", "SELECT 3.0") == 3
    assert await client.call("countAuditLogs", "main", "SELECT NULL") == 0


async def test_times_beyond_the_years_1_to_9999_select_as_their_bounds(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    assert await client.call("getAccountPnL", "main", -1e308, 1e308) == []
    assert await client.call("getBalancesAt", "main", 1e308) == []
    assert await client.call("getPricesForAsset", "main", "ex.binance:BTC", 1e308) == []


async def test_a_value_sqlite_cannot_bind_gets_its_own_error_after_another_query_failed(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    query = "SELECT * FROM audit_logs WHERE id = ?"
    for _ in range(2):  # on each reader connection, so the statement is in its cache
        assert await client.call("getAuditLogs", "main", query, ["x"]) == []
    for _ in range(2):
        with pytest.raises(RpcCallError):
            await client.call("getAuditLogs", "main", "SELECT * FROM nowhere")
    for value, name in ((["x"], "list"), ({"a": 1}, "dict")):
        for _ in range(2):
            with pytest.raises(RpcCallError) as caught:
                await client.call("getAuditLogs", "main", query, [value])
            assert (caught.value.code, caught.value.message) == (
                -32602,
                f"{FAILED}Error binding parameter 1: type '{name}' is not supported",
            )
