"""Limits, pages and page sizes are whole numbers, 0 or more (and within 64 bits), checked before
a method runs."""

import pytest

from privatefolio_daemon.client import RpcCallError
from tests.conftest import Connect


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (("findAssets", "main", "btc", -1), "'limit' must be at least 0, not -1"),
        (("findPlatforms", "main", "bin", -5), "'limit' must be at least 0, not -5"),
        (("findExtensions", "csv", -1), "'limit' must be at least 0, not -1"),
        (("getServerLogs", None, 25, -2), "'page' must be at least 0, not -2"),
        (("getTransactions", "main", {"limit": -1}), "'query'.limit must be at least 0, not -1"),
        (("getChanges", "main", 0, -3), "'limit' must be from 1 to 5000, not -3"),
        (("getChanges", "main", 0, 0), "'limit' must be from 1 to 5000, not 0"),
        (("getChanges", "main", 0, 10_000), "'limit' must be from 1 to 5000, not 10000"),
        (
            ("getAuditLogs", "main", {"offset": 2**63}),
            "'query'.offset must be an integer from 0 to 9223372036854775807, "
            "not 9223372036854775808",
        ),
        (
            ("getChanges", "main", 0, 2**63),
            "'limit' must be an integer from 1 to 5000, not 9223372036854775808",
        ),
    ],
)
async def test_a_count_out_of_range_is_refused(
    connect: Connect, call: tuple[object, ...], message: str
) -> None:
    client = await connect()
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as error:
        await client.call(*call)
    assert (error.value.code, error.value.message) == (-32602, f"Invalid params: {message}")


async def test_the_published_schema_states_the_minimum(connect: Connect) -> None:
    client = await connect()
    document = await client.call("rpc.discover")
    [find_assets] = [method for method in document["methods"] if method["name"] == "findAssets"]
    [limit] = [param for param in find_assets["params"] if param["name"] == "limit"]
    assert limit["schema"] == {"type": "integer", "minimum": 0, "default": 5}


async def test_the_published_schema_states_both_bounds_of_a_page(connect: Connect) -> None:
    client = await connect()
    document = await client.call("rpc.discover")
    [changes] = [method for method in document["methods"] if method["name"] == "getChanges"]
    [limit] = [param for param in changes["params"] if param["name"] == "limit"]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 5000, "default": 500}
