"""Helpers for the tests of refused input: the error of a call or of one sync event, and the
synced state that a refusal must leave as it was."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError

LONG = "x" * 1_000_000


async def refusal_of_call(client: DaemonClient, method: str, *params: Any) -> tuple[int, str]:
    with pytest.raises(RpcCallError) as caught:
        await client.call(method, *params)
    return caught.value.code, caught.value.message


async def refusal_of_event(
    client: DaemonClient, kind: str, record_id: str | None, data: dict[str, Any]
) -> tuple[int, str]:
    event = {"eventId": "e", "type": kind, "recordId": record_id, "data": data}
    [result] = await client.call("submitEvents", "main", [event])
    assert result["status"] == "error"
    return result["error"]["code"], result["error"]["message"].removeprefix("Event #1 (e): ")


async def synced_state(client: DaemonClient) -> dict[str, Any]:
    """Every synced record with its version, and the feed's position."""
    snapshot: dict[str, Any] = await client.call("getSnapshot", "main")
    return snapshot
