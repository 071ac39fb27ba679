"""Function references, subscriptions, one-shot callbacks and their release."""

import asyncio
from pathlib import Path

import aiohttp

from tests.rpc.probe_server import exchange, probe_server, receive

TICK_REF = {"__isFunction": True, "functionId": "client_func_1_0"}


async def test_callback_frames_in_the_privatefolio_dialect(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "subscribeToTicks", "params": [TICK_REF]})
        subscription_id = answer["result"]
        assert answer == {"id": 1, "method": "subscribeToTicks", "result": subscription_id}
        assert len(subscription_id) == 36
        await ws.send_json({"id": 2, "method": "emitTicks", "params": [2, 3]})
        frames = [await receive(ws) for _ in range(3)]
        assert frames == [
            {"functionId": "client_func_1_0", "params": [0, "xxx"]},
            {"functionId": "client_func_1_0", "params": [1, "xxx"]},
            {"id": 2, "method": "emitTicks"},
        ]


async def test_callback_notifications_in_the_jsonrpc_dialect(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        call = {"jsonrpc": "2.0", "id": 1, "method": "subscribeToTicks", "params": [TICK_REF]}
        subscription_id = (await exchange(ws, call))["result"]
        await ws.send_json({"jsonrpc": "2.0", "id": 2, "method": "emitTicks", "params": [1, 1]})
        assert await receive(ws) == {
            "jsonrpc": "2.0",
            "method": "rpc.callback",
            "params": {"functionId": "client_func_1_0", "args": [0, "x"]},
        }
        assert await receive(ws) == {"jsonrpc": "2.0", "id": 2, "result": None}
        assert server.stats.subscriptions == 1
        unsubscribe = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "unsubscribe",
            "params": [subscription_id],
        }
        assert await exchange(ws, unsubscribe) == {"jsonrpc": "2.0", "id": 3, "result": None}


async def test_unsubscribe_stops_the_events_and_releases_the_callback(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        subscription_id = (
            await exchange(ws, {"id": 1, "method": "subscribeToTicks", "params": [TICK_REF]})
        )["result"]
        assert (server.stats.subscriptions, server.stats.callbacks) == (1, 1)
        assert await exchange(
            ws, {"id": 2, "method": "unsubscribe", "params": [subscription_id, False]}
        ) == {
            "id": 2,
            "method": "unsubscribe",
        }
        assert (server.stats.subscriptions, server.stats.callbacks) == (0, 0)
        assert server.events.listener_count("ticks") == 0
        assert await exchange(ws, {"id": 3, "method": "emitTicks", "params": [3]}) == {
            "id": 3,
            "method": "emitTicks",
        }
        assert await exchange(
            ws, {"id": 4, "method": "unsubscribe", "params": [subscription_id]}
        ) == {
            "id": 4,
            "method": "unsubscribe",
            "error": f"Subscription not found: {subscription_id}",
            "code": -32002,
        }
        assert await exchange(
            ws, {"id": 5, "method": "unsubscribe", "params": [subscription_id, False]}
        ) == {
            "id": 5,
            "method": "unsubscribe",
        }


async def test_one_shot_callback_is_called_once_then_released(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        ref = {"__isFunction": True, "functionId": "client_func_9_0"}
        assert await exchange(ws, {"id": 9, "method": "callLater", "params": [ref]}) == {
            "id": 9,
            "method": "callLater",
        }
        assert await receive(ws) == {"functionId": "client_func_9_0", "params": ["done"]}
        assert server.stats.callbacks == 0


async def test_a_function_reference_the_method_does_not_keep_is_released_after_the_call(
    tmp_path: Path,
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "echo", "params": [TICK_REF]})
        assert answer["id"] == 1
        assert server.stats.callbacks == 0


async def test_closing_the_connection_releases_everything(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server:
        async with server.socket() as ws:
            for request_id in range(5):
                ref = {"__isFunction": True, "functionId": f"client_func_{request_id}_0"}
                await exchange(
                    ws, {"id": request_id, "method": "subscribeToTicks", "params": [ref]}
                )
            assert (server.stats.subscriptions, server.stats.callbacks) == (5, 5)
        for _ in range(100):
            if server.stats.connections == 0:
                break
            await asyncio.sleep(0.01)
        assert (server.stats.connections, server.stats.subscriptions, server.stats.callbacks) == (
            0,
            0,
            0,
        )
        assert server.events.listener_count("ticks") == 0


async def test_without_a_token_the_socket_is_closed_with_1008(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, aiohttp.ClientSession() as session:
        for url in (server.url, f"{server.url}?token=wrong", f"{server.url}?jwt=a.b.c"):
            async with session.ws_connect(url) as ws:
                message = await ws.receive(timeout=5)
                assert message.type == aiohttp.WSMsgType.CLOSE
                assert (ws.close_code, message.extra) == (1008, "Unauthorized")
        assert server.stats.calls == 0
        async with session.ws_connect(f"{server.url}?token={server.token}") as ws:
            assert await exchange(ws, {"id": 1, "method": "ping", "params": []}) == {
                "id": 1,
                "method": "ping",
                "result": "pong",
            }


async def test_rpc_discover_describes_every_method_from_its_signature(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        document = (await exchange(ws, {"id": 1, "method": "rpc.discover", "params": []}))["result"]
        methods = {method["name"]: method for method in document["methods"]}
        assert document["openrpc"] == "1.3.2"
        assert {"ping", "unsubscribe", "rpc.discover", "add", "subscribeToTicks"} <= set(methods)
        assert methods["add"]["summary"] == "Add two integers."
        assert methods["add"]["params"] == [
            {"name": "a", "required": True, "schema": {"type": "integer"}},
            {"name": "b", "required": False, "schema": {"type": "integer", "default": 1}},
        ]
        assert methods["add"]["result"] == {"name": "result", "schema": {"type": "integer"}}
        assert methods["subscribeToTicks"]["params"][0]["schema"]["x-callback"] is True


async def test_a_function_where_a_json_value_is_expected_is_refused(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        ref = {"__isFunction": True, "functionId": "client_func_1_0"}
        assert await exchange(ws, {"id": 1, "method": "echo", "params": [ref]}) == {
            "id": 1,
            "method": "echo",
            "error": "Invalid params: 'value' must be a JSON value, not a function",
            "code": -32602,
        }
        assert server.stats.callbacks == 0
