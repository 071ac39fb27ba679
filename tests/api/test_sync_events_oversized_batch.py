"""A batch of events too large for one frame: the client refuses to send it and stays usable;
a frame the daemon refuses closes the connection (1009), and the client says why."""

import asyncio
import contextlib
import gc
from collections.abc import Awaitable
from typing import Any

import pytest

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


async def test_a_batch_too_large_to_send_is_refused_before_it_goes(client: DaemonClient) -> None:
    await client.call("createAccount", "main")

    with pytest.raises(ValueError) as refused:
        await client.call("submitEvents", "main", OVER_16_MIB)

    assert str(refused.value) == (
        "Could not send submitEvents: its frame holds 16,948,942 bytes, more than the "
        "4,194,304 the daemon reads; send less at once"
    )
    assert await client.call("getTags", "main") == []
    assert client.registered_functions == 0


async def test_a_frame_the_daemon_refuses_closes_the_connection_with_its_reason(
    client: DaemonClient,
) -> None:
    unhandled: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: unhandled.append(context["message"])
    )
    await client.call("createAccount", "main")

    with contextlib.suppress(ConnectionError):  # the daemon may close before it is all sent
        await client.send_raw(" " * (4 * 2**20 + 1))
    await until(lambda: client.closed)

    assert client.close_code == 1009
    assert await connection_error_of(client.call("getAccountNames")) == (
        "The connection is closed (code 1009: Frame too large: at most 4,194,304 bytes (4 MiB))"
    )
    await client.close()
    gc.collect()
    assert unhandled == []
