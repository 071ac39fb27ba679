"""A batch of events too large for one frame: the daemon closes the connection (1009), and the
client says the call was not sent, leaving nothing behind that waits for an answer."""

import asyncio
import gc
from collections.abc import Awaitable
from typing import Any

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import until

NAME = "x" * 1000
OVER_16_MIB = [
    {"eventId": f"e{n}", "type": "tag.create", "data": {"name": NAME}} for n in range(16_000)
]


async def connection_error_of(call: Awaitable[Any]) -> str:
    """The message of the ConnectionError the call raises (its traceback is not kept)."""
    try:
        await call
    except ConnectionError as error:
        return str(error)
    raise AssertionError("the call did not fail")


async def test_a_batch_too_large_to_send_fails_the_call_and_nothing_else(
    client: DaemonClient,
) -> None:
    unhandled: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: unhandled.append(context["message"])
    )
    await client.call("createAccount", "main")

    assert await connection_error_of(client.call("submitEvents", "main", OVER_16_MIB)) == (
        "Could not send submitEvents: the connection closed while it was being sent"
    )
    await until(lambda: client.closed)
    assert client.close_code == 1009
    assert await connection_error_of(client.call("getAccountNames")) == (
        "The connection is closed (code 1009)"
    )
    await client.close()
    gc.collect()
    assert unhandled == []
