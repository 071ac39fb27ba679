"""Parameters nest at most 100 levels: deeper ones get -32602, in either dialect, not -32603."""

from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.rpc.probe_server import exchange, probe_server


def nested_lists(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


async def test_a_parameter_may_nest_100_levels(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "echo", "params": [nested_lists(100)]})
        assert answer == {"id": 1, "method": "echo", "result": nested_lists(100)}


@pytest.mark.parametrize("depth", [101, 300, 1000])
async def test_deeper_parameters_are_invalid_params(tmp_path: Path, depth: int) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        frame = '{"id": 2, "method": "echo", "params": [' + nested_text(depth) + "]}"
        assert await exchange(ws, frame) == {
            "id": 2,
            "method": "echo",
            "error": "Invalid params: 'value' is nested too deeply (at most 100 levels)",
            "code": -32602,
        }
        named = '{"jsonrpc": "2.0", "id": 3, "method": "echo", "params": {"value": '
        assert await exchange(ws, named + nested_text(depth) + "}}") == {
            "jsonrpc": "2.0",
            "id": 3,
            "error": {
                "code": -32602,
                "message": "Invalid params: 'value' is nested too deeply (at most 100 levels)",
            },
        }


async def test_objects_count_as_levels_too(tmp_path: Path) -> None:
    deep: Any = 1
    for _ in range(101):
        deep = {"a": deep}
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 4, "method": "echo", "params": [deep]})
        assert answer["code"] == -32602
        assert (
            answer["error"] == "Invalid params: 'value' is nested too deeply (at most 100 levels)"
        )
        assert await exchange(ws, {"id": 5, "method": "echo", "params": [deep["a"]]}) == {
            "id": 5,
            "method": "echo",
            "result": deep["a"],
        }


async def test_stored_values_and_settings_refuse_deep_nesting(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("setValue", "main", "k", nested_lists(100))
    stored = await client.call("getValue", "main", "k")
    with pytest.raises(RpcCallError) as error:
        await client.call("setValue", "main", "k", nested_lists(250))
    assert (error.value.code, error.value.message) == (
        -32602,
        "Invalid params: 'value' is nested too deeply (at most 100 levels)",
    )
    with pytest.raises(RpcCallError) as error:
        await client.call("updateSettings", "main", {"a": nested_lists(100)})
    assert (error.value.code, error.value.message) == (
        -32602,
        "Invalid params: 'settings' is nested too deeply (at most 100 levels)",
    )
    assert await client.call("getValue", "main", "k") == stored == nested_text(100)
    assert "a" not in await client.call("getSettings", "main")
