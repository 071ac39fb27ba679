"""JSON-RPC 2.0 notifications get no reply, not even an error; invalid requests still do."""

from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.rpc.probe_server import exchange, probe_server

CALL = {"jsonrpc": "2.0", "id": 9, "method": "add", "params": [4, 4]}
ANSWER = {"jsonrpc": "2.0", "id": 9, "result": 8}


async def assert_silent(ws: aiohttp.ClientWebSocketResponse) -> None:
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=0.3)


async def send(ws: aiohttp.ClientWebSocketResponse, frame: Any) -> None:
    await ws.send_str(orjson.dumps(frame).decode())


async def test_failing_notifications_get_no_reply(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await send(ws, {"jsonrpc": "2.0", "method": "nope"})
        await send(ws, {"jsonrpc": "2.0", "method": "add", "params": ["one"]})
        await send(ws, {"jsonrpc": "2.0", "method": "add", "params": {"c": 1}})
        await send(ws, {"jsonrpc": "2.0", "method": "fail", "params": ["internal"]})
        assert await exchange(ws, CALL) == ANSWER
        await assert_silent(ws)


async def test_a_batch_of_notifications_gets_nothing(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await send(
            ws,
            [
                {"jsonrpc": "2.0", "method": "nope"},
                {"jsonrpc": "2.0", "method": "add", "params": [1, 1]},
                {"jsonrpc": "2.0", "method": "add", "params": [True]},
            ],
        )
        assert await exchange(ws, CALL) == ANSWER
        await assert_silent(ws)


async def test_a_batch_answers_only_its_calls(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        batch = [{"jsonrpc": "2.0", "method": "nope"}, CALL, {"jsonrpc": "2.0", "method": "x1"}]
        assert await exchange(ws, batch) == [ANSWER]
        await assert_silent(ws)


async def test_an_invalid_request_without_id_is_still_answered(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, {"jsonrpc": "2.0", "method": 1, "params": "bar"}) == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": -32600,
                "message": 'Invalid request: "method" must be a non-empty string',
            },
        }
        assert await exchange(ws, [{"jsonrpc": "2.0", "method": "nope"}, 1]) == [
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}}
        ]
