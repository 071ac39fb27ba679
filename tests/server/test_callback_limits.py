"""A connection holds a bounded number of callbacks with short functionIds, a guest's too."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from privatefolio_daemon.settings import Limits
from tests.conftest import make_config, running_daemon, ws_url


def reference(function_id: str) -> dict[str, Any]:
    return {"__isFunction": True, "functionId": function_id}


async def call(
    ws: aiohttp.ClientWebSocketResponse, request_id: int, method: str, *params: Any
) -> Any:
    await ws.send_json({"id": request_id, "method": method, "params": list(params)})
    return (await ws.receive(timeout=5)).json()


async def test_a_kiosk_guest_holds_at_most_the_limit_of_callbacks(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path / "data"), limits=Limits(rpc_max_callbacks=2))
    async with (
        running_daemon(config) as (daemon, client),
        aiohttp.ClientSession() as session,
    ):
        await client.call("createAccount", "main")
        await client.call("updateSettings", "main", {"kioskMode": True})
        async with session.ws_connect(ws_url(daemon)) as guest:
            first = await call(guest, 1, "subscribeToAccounts", reference("client_func_1_0"))
            await call(guest, 2, "subscribeToAuditLogs", "main", reference("client_func_2_1"))
            refused = await call(guest, 3, "subscribeToAccounts", reference("client_func_3_0"))
            stats = await client.call("getServerStats")
            await call(guest, 4, "unsubscribe", first["result"], False)
            again = await call(guest, 5, "subscribeToAccounts", reference("client_func_5_0"))
            await client.call("createAccount", "other")
            pushed = await guest.receive(timeout=5)

    assert refused == {
        "id": 3,
        "method": "subscribeToAccounts",
        "error": "Too many callbacks: this connection holds 2 (its subscriptions and the "
        "callbacks still to be called) and may hold at most 2 (setting rpc_max_callbacks); "
        "unsubscribe from what it no longer needs, then call again",
        "code": -32004,
    }
    assert (stats["subscriptions"], stats["callbacks"]) == (2, 2)
    assert len(again["result"]) == 36
    assert pushed.json() == {"functionId": "client_func_5_0", "params": ["created", "other"]}


async def test_a_kiosk_guest_cannot_make_the_daemon_keep_a_long_function_id(
    tmp_path: Path,
) -> None:
    """A guest's 100 frames of 4 MiB functionIds once held 400 MB until it closed."""
    async with (
        running_daemon(make_config(tmp_path / "data")) as (daemon, client),
        aiohttp.ClientSession() as session,
    ):
        await client.call("createAccount", "main")
        await client.call("updateSettings", "main", {"kioskMode": True})
        async with session.ws_connect(ws_url(daemon), max_msg_size=0) as guest:
            big = reference("f" * (4 * 2**20 - 200))
            refused = await call(guest, 1, "subscribeToAccounts", big)
            stats = await client.call("getServerStats")
            kept = await call(guest, 2, "subscribeToAccounts", reference("c" * 256))

    assert refused == {
        "id": 1,
        "method": "subscribeToAccounts",
        "error": "Invalid params: the functionId of 'callback' has 4,194,104 characters; "
        "a functionId may have at most 256",
        "code": -32602,
    }
    assert (stats["subscriptions"], stats["callbacks"]) == (0, 0)
    assert len(kept["result"]) == 36
