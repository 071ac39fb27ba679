"""Every method, called with wrong, missing and odd parameters, answers with a clear error.

Calls go through the real daemon and WebSocket, drawn from a fixed pool of values: wrong types,
empty and huge values, SQL strings whose columns a method does not expect, records with bad
fields. A bad call may fail as invalid params, not found, busy or a conflict, but never as an
internal error (-32603): that is a bug, a case the method did not check.
"""

import asyncio
import random
from typing import Any

from privatefolio_daemon.client import DaemonClient, RpcCallError

INTERNAL_ERROR = -32603
#: Long or destructive by design, or an internal error by design.
SKIPPED = {"enqueueSleep", "deleteAccount", "resetAccount", "renameAccount", "throwTestError"}
VALUES: list[Any] = [
    None, 0, -1, 1.5, 1e308, 2**63 - 1, 2**63, 2**64 - 1, {"limit": 2**63}, True, "", " ", "x",
    "main", "user", "cron", "NaN",
    "1e400", "../../etc/passwd", [], [1], [None], [{"name": 1}], {}, {"a": 1}, {"id": 1},
    {"status": 5}, {"favorite": "yes"}, {"mode": "x"}, {"endpoint": "http://x", "keys": {}},
    {"type": "Buy", "timestamp": "x"},
    {"type": "Swap", "timestamp": 1, "wallet": "w", "platformId": "p", "incoming": "abc",
     "incomingAsset": "x", "outgoing": "1", "outgoingAsset": "y"},
    [{"eventId": "e", "type": "tag.create", "data": {"name": 5}}],
    "SELECT 1", "SELECT NULL, NULL", "SELECT 'a', 'b', 'c'", "SELECT 'x' AS id",
    "SELECT * FROM tags", "SELECT " + ", ".join(str(n) for n in range(20)),
]  # fmt: skip
CALLS_PER_METHOD = 25


async def test_bad_parameters_never_give_an_internal_error(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    methods = [
        method
        for method in (await client.call("rpc.discover"))["methods"]
        if method["name"] not in SKIPPED and not method["name"].startswith("rpc.")
    ]
    assert len(methods) > 150
    draw = random.Random(20261202)
    internal: dict[tuple[str, str], list[Any]] = {}
    for method in methods:
        arity = len(method.get("params", []))
        for _ in range(CALLS_PER_METHOD):
            params = [draw.choice(VALUES) for _ in range(draw.randint(0, arity + 1))]
            if params and draw.random() < 0.7:
                params[0] = "main"
            try:
                await asyncio.wait_for(client.call(method["name"], *params), 10)
            except RpcCallError as error:
                if error.code == INTERNAL_ERROR:
                    internal.setdefault((method["name"], error.message), params)
    assert internal == {}
    assert await client.call("ping") == "pong"


async def test_whole_numbers_beyond_64_bits_are_bad_params(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    calls = [
        ("getAuditLogs", ["main", {"limit": 2**63}], "'query'.limit", 0),
        ("countTransactions", ["main", {"fromTimestamp": 2**64 - 1}], "'query'.fromTimestamp", -1),
        ("deleteTag", ["main", 2**63], "'id'", -1),
    ]
    for method, params, path, sign in calls:
        try:
            await client.call(method, *params)
        except RpcCallError as error:
            assert (error.code, error.message.split(" must ")[0]) == (
                -32602,
                f"Invalid params: {path}",
            )
            low = "0" if sign == 0 else "-9223372036854775807"
            assert f"from {low} to 9223372036854775807" in error.message
        else:
            raise AssertionError(f"{method} took {params}")
