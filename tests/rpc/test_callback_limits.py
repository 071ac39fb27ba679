"""What one connection may hold: a bounded number of callbacks, each with a short functionId."""

from pathlib import Path
from typing import Any

from tests.rpc.probe_server import exchange, probe_server, receive


def reference(function_id: str) -> dict[str, Any]:
    return {"__isFunction": True, "functionId": function_id}


def too_many(held: int, limit: int) -> str:
    return (
        f"Too many callbacks: this connection holds {held:,} (its subscriptions and the "
        f"callbacks still to be called) and may hold at most {limit:,} (setting "
        "rpc_max_callbacks); unsubscribe from what it no longer needs, then call again"
    )


async def test_a_connection_holds_at_most_its_limit_of_callbacks(tmp_path: Path) -> None:
    async with probe_server(tmp_path, max_callbacks=3) as server, server.socket() as ws:
        subscriptions = []
        for request_id in range(3):
            call = {
                "id": request_id,
                "method": "subscribeToTicks",
                "params": [reference(f"client_func_{request_id}_0")],
            }
            subscriptions.append((await exchange(ws, call))["result"])
        refused = {"id": 3, "method": "subscribeToTicks", "params": [reference("f3")]}
        assert await exchange(ws, refused) == {
            "id": 3,
            "method": "subscribeToTicks",
            "error": too_many(3, 3),
            "code": -32004,
        }
        jsonrpc = {"jsonrpc": "2.0", "id": 4, "method": "echo", "params": [reference("f4")]}
        assert await exchange(ws, jsonrpc) == {
            "jsonrpc": "2.0",
            "id": 4,
            "error": {"code": -32004, "message": too_many(3, 3)},
        }
        assert (server.stats.subscriptions, server.stats.callbacks) == (3, 3)
        assert server.events.listener_count("ticks") == 3

        async with server.socket() as other:
            call = {"id": 1, "method": "subscribeToTicks", "params": [reference("f1")]}
            assert (await exchange(other, call))["result"]

        await exchange(ws, {"id": 5, "method": "unsubscribe", "params": [subscriptions[0]]})
        again = {"id": 6, "method": "subscribeToTicks", "params": [reference("f6")]}
        assert len((await exchange(ws, again))["result"]) == 36
        await ws.send_json({"id": 7, "method": "emitTicks", "params": [1]})
        heard = {(await ws.receive_json(timeout=5)).get("functionId") for _ in range(4)}
        assert heard == {"client_func_1_0", "client_func_2_0", "f6", None}


async def test_the_callbacks_of_a_call_that_ended_leave_room(tmp_path: Path) -> None:
    """A function reference the method does not keep is held only while its call runs."""
    async with probe_server(tmp_path, max_callbacks=2) as server, server.socket() as ws:
        subscribe = {"id": 1, "method": "subscribeToTicks", "params": [reference("f1")]}
        assert len((await exchange(ws, subscribe))["result"]) == 36
        for request_id in (2, 3, 4):
            call = {"id": request_id, "method": "callNow", "params": [reference("f")]}
            assert await exchange(ws, call) == {"functionId": "f", "params": ["now"]}
            assert await receive(ws) == {"id": request_id, "method": "callNow"}
        assert len((await exchange(ws, {**subscribe, "id": 5}))["result"]) == 36
        assert await exchange(ws, {"id": 6, "method": "callNow", "params": [reference("f")]}) == {
            "id": 6,
            "method": "callNow",
            "error": too_many(2, 2),
            "code": -32004,
        }
        assert (server.stats.subscriptions, server.stats.callbacks) == (2, 2)


async def test_a_function_id_longer_than_256_characters_is_refused(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        longest = "f" * 256
        call = {"id": 1, "method": "subscribeToTicks", "params": [reference(longest)]}
        assert len((await exchange(ws, call))["result"]) == 36

        call = {"id": 2, "method": "subscribeToTicks", "params": [reference("f" * 4_000_000)]}
        assert await exchange(ws, call) == {
            "id": 2,
            "method": "subscribeToTicks",
            "error": "Invalid params: the functionId of 'callback' has 4,000,000 characters; "
            "a functionId may have at most 256",
            "code": -32602,
        }
        named = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "subscribeToTicks",
            "params": {"callback": reference("f" * 257)},
        }
        assert await exchange(ws, named) == {
            "jsonrpc": "2.0",
            "id": 3,
            "error": {
                "code": -32602,
                "message": "Invalid params: the functionId of 'callback' has 257 characters; "
                "a functionId may have at most 256",
            },
        }
        assert (server.stats.subscriptions, server.stats.callbacks) == (1, 1)
        assert server.events.listener_count("ticks") == 1
