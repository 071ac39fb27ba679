"""Both wire dialects, frame by frame: calls, results, every error code, batches, notifications."""

from pathlib import Path

import orjson
import pytest

from tests.rpc.probe_server import exchange, probe_server, receive


async def test_privatefolio_call_and_result_frames(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, {"id": 0, "method": "add", "params": [2, 3]}) == {
            "id": 0,
            "method": "add",
            "result": 5,
        }
        assert await exchange(ws, {"id": 1, "method": "nothing", "params": []}) == {
            "id": 1,
            "method": "nothing",
        }
        assert await exchange(ws, {"id": 2, "method": "echo", "params": [None]}) == {
            "id": 2,
            "method": "echo",
            "result": None,
        }


async def test_a_record_or_nothing_leaves_the_result_out_when_there_is_none(
    tmp_path: Path,
) -> None:
    """rpc-methods §1.2: a function that returns nothing has no ``result`` (``undefined``)."""
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, {"id": 1, "method": "found", "params": [""]}) == {
            "id": 1,
            "method": "found",
        }
        assert await exchange(ws, {"id": 2, "method": "found", "params": ["a"]}) == {
            "id": 2,
            "method": "found",
            "result": {"key": "a"},
        }
        jsonrpc = {"jsonrpc": "2.0", "id": 3, "method": "found", "params": [""]}
        assert await exchange(ws, jsonrpc) == {"jsonrpc": "2.0", "id": 3, "result": None}
        assert await exchange(ws, {"id": 4, "method": "maybe", "params": [""]}) == {
            "id": 4,
            "method": "maybe",
            "result": None,
        }


async def test_privatefolio_undefined_param_takes_the_default(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 3, "method": "add", "params": [2, "undefined"]})
        assert answer == {"id": 3, "method": "add", "result": 3}


async def test_a_null_param_takes_the_default_where_there_is_one(tmp_path: Path) -> None:
    """The original threw on a top-level null; rpc-methods §1.1 asks for it to be accepted."""
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 3, "method": "add", "params": [2, None]})
        assert answer == {"id": 3, "method": "add", "result": 3}
        refused = await exchange(ws, {"id": 4, "method": "add", "params": [None, 2]})
        assert refused["error"] == "Invalid params: 'a' must be an integer, not null"


async def test_half_an_emoji_escaped_becomes_a_replacement_character(
    tmp_path: Path,
) -> None:
    """``JSON.stringify`` writes a lone surrogate as an escape: valid JSON, though not Unicode."""
    async with probe_server(tmp_path) as server, server.socket() as ws:
        whole = r'{"id": 4, "method": "echo", "params": ["party \ud83d\ude00"]}'
        half = r'{"id": 5, "method": "echo", "params": [["party \ud83d", {"\udc00": 1}]]}'
        for frame in (whole, half):
            await ws.send_str(frame)
        assert await receive(ws) == {"id": 4, "method": "echo", "result": "party \U0001f600"}
        assert await receive(ws) == {
            "id": 5,
            "method": "echo",
            "result": ["party \ufffd", {"\ufffd": 1}],
        }
        half_and = r'{"id": 6, "method": "echo", "params": [["\ud83d", '
        for number in ("NaN", "1e400", "-1" + "0" * 400):
            await ws.send_str(f"{half_and}{number}]]}}")
            assert (await receive(ws))["error"].startswith("Parse error: "), number
        await ws.send_str(f"{half_and}{2**64 - 1}, {2**64}]]}}")
        assert (await receive(ws))["result"] == ["\ufffd", 2**64 - 1, float(2**64)]
        deep = "[" * 3000 + "]" * 3000  # too deep to read, or at least to take: an answer
        await ws.send_str(f"{half_and}{deep}]]}}")
        assert (await receive(ws))["code"] in (-32700, -32602)
        for not_utf8 in (
            b'{"id": 8, "method": "echo", "params": ["\xed\xa0\x80"]}',  # a surrogate's bytes
            r'{"id": 8, "method": "echo", "params": ["\ud83d"]}'.encode("utf-16"),
        ):
            await ws.send_bytes(not_utf8)
            assert (await receive(ws))["error"].startswith("Parse error: "), not_utf8


PRIVATEFOLIO_ERRORS = [
    (
        "nope",
        {
            "error": "Parse error: invalid literal, expected 'null' (line 1, column 1)",
            "code": -32700,
        },
    ),
    (
        {"id": 1, "params": []},
        {"id": 1, "error": 'Invalid request: "method" must be a non-empty string', "code": -32600},
    ),
    (
        {"id": 2, "method": "getFoo", "params": []},
        {"id": 2, "method": "getFoo", "error": "API method not found: getFoo", "code": -32601},
    ),
    (
        {"id": 3, "method": "add", "params": ["2"]},
        {
            "id": 3,
            "method": "add",
            "error": "Invalid params: 'a' must be an integer, not a string",
            "code": -32602,
        },
    ),
    (
        {"id": 4, "method": "add", "params": []},
        {"id": 4, "method": "add", "error": "Missing param 'a' for add", "code": -32602},
    ),
    (
        {"id": 5, "method": "fail", "params": ["internal"]},
        {"id": 5, "method": "fail", "error": "disk on fire", "code": -32603},
    ),
    (
        {"id": 6, "method": "fail", "params": ["unauthorized"]},
        {"id": 6, "method": "fail", "error": "Login or sign up to continue.", "code": -32001},
    ),
    (
        {"id": 7, "method": "fail", "params": ["not-found"]},
        {"id": 7, "method": "fail", "error": 'Account "ghost" does not exist', "code": -32002},
    ),
    (
        {"id": 8, "method": "fail", "params": ["conflict"]},
        {
            "id": 8,
            "method": "fail",
            "error": "Version 3 is not the latest",
            "code": -32003,
            "data": {"latest": {"id": "t1", "version": 4}},
        },
    ),
    (
        {"id": 9, "method": "fail", "params": ["busy"]},
        {"id": 9, "method": "fail", "error": "Too many imports at once", "code": -32004},
    ),
    (
        {"id": 10, "method": "fail", "params": ["cancelled"]},
        {"id": 10, "method": "fail", "error": "Task cancelled by user.", "code": -32005},
    ),
    (
        {"id": 11, "method": "fail", "params": ["invalid"]},
        {"id": 11, "method": "fail", "error": "Amount must be positive", "code": -32602},
    ),
]


@pytest.mark.parametrize(("request_frame", "expected"), PRIVATEFOLIO_ERRORS)
async def test_privatefolio_error_frames(
    tmp_path: Path, request_frame: object, expected: object
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, request_frame) == expected


async def test_stack_traces_only_in_dev_mode(tmp_path: Path) -> None:
    frame = {"id": 1, "method": "fail", "params": ["internal"]}
    async with probe_server(tmp_path / "prod") as server, server.socket() as ws:
        assert "stackTrace" not in await exchange(ws, frame)
    async with probe_server(tmp_path / "dev", dev=True) as server, server.socket() as ws:
        answer = await exchange(ws, frame)
        assert "RuntimeError: disk on fire" in answer["stackTrace"]


JSONRPC_ERRORS = [
    (
        '{"jsonrpc": "2.0", "id": 1',
        -32700,
        "Parse error: unexpected end of data (line 1, column 27)",
        None,
    ),
    (
        {"jsonrpc": "1.0", "id": 1, "method": "add"},
        -32600,
        'Invalid request: "jsonrpc" must be "2.0"',
        1,
    ),
    ({"jsonrpc": "2.0", "id": 2, "method": "getFoo"}, -32601, "API method not found: getFoo", 2),
    (
        {"jsonrpc": "2.0", "id": 3, "method": "add", "params": {"a": 1, "c": 2}},
        -32602,
        "Unknown param 'c' for add",
        3,
    ),
    (
        {"jsonrpc": "2.0", "id": 4, "method": "fail", "params": ["internal"]},
        -32603,
        "disk on fire",
        4,
    ),
    (
        {"jsonrpc": "2.0", "id": 5, "method": "fail", "params": ["unauthorized"]},
        -32001,
        "Login or sign up to continue.",
        5,
    ),
    (
        {"jsonrpc": "2.0", "id": 6, "method": "fail", "params": ["not-found"]},
        -32002,
        'Account "ghost" does not exist',
        6,
    ),
    (
        {"jsonrpc": "2.0", "id": 8, "method": "fail", "params": ["busy"]},
        -32004,
        "Too many imports at once",
        8,
    ),
    (
        {"jsonrpc": "2.0", "id": 9, "method": "fail", "params": ["cancelled"]},
        -32005,
        "Task cancelled by user.",
        9,
    ),
]


@pytest.mark.parametrize(("request_frame", "code", "message", "request_id"), JSONRPC_ERRORS)
async def test_jsonrpc_error_frames(
    tmp_path: Path, request_frame: object, code: int, message: str, request_id: int | None
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, request_frame) == {
            "jsonrpc": "2.0",
            "id": request_id,
            "error": {"code": code, "message": message},
        }


async def test_jsonrpc_version_conflict_carries_the_latest_record(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(
            ws, {"jsonrpc": "2.0", "id": 7, "method": "fail", "params": ["conflict"]}
        )
        assert answer == {
            "jsonrpc": "2.0",
            "id": 7,
            "error": {
                "code": -32003,
                "message": "Version 3 is not the latest",
                "data": {"latest": {"id": "t1", "version": 4}},
            },
        }


async def test_jsonrpc_call_by_position_and_by_name(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        by_position = {"jsonrpc": "2.0", "id": "a", "method": "add", "params": [1, 2]}
        assert await exchange(ws, by_position) == {"jsonrpc": "2.0", "id": "a", "result": 3}
        by_name = {"jsonrpc": "2.0", "id": "b", "method": "add", "params": {"b": 5, "a": 1}}
        assert await exchange(ws, by_name) == {"jsonrpc": "2.0", "id": "b", "result": 6}
        nothing = {"jsonrpc": "2.0", "id": "c", "method": "nothing"}
        assert await exchange(ws, nothing) == {"jsonrpc": "2.0", "id": "c", "result": None}


async def test_jsonrpc_batch_answers_calls_and_not_notifications(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        batch = [
            {"jsonrpc": "2.0", "id": 1, "method": "add", "params": [1, 1]},
            {"jsonrpc": "2.0", "method": "add", "params": [5, 5]},
            {"jsonrpc": "2.0", "id": 2, "method": "getFoo"},
            42,
        ]
        assert await exchange(ws, batch) == [
            {"jsonrpc": "2.0", "id": 1, "result": 2},
            {
                "jsonrpc": "2.0",
                "id": 2,
                "error": {"code": -32601, "message": "API method not found: getFoo"},
            },
            {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid request"}},
        ]
        assert await exchange(ws, []) == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "Empty batch"},
        }


async def test_notifications_get_no_answer(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await ws.send_str(
            orjson.dumps({"jsonrpc": "2.0", "method": "add", "params": [1, 1]}).decode()
        )
        await ws.send_str(
            orjson.dumps(
                [{"jsonrpc": "2.0", "method": "nothing"}, {"jsonrpc": "2.0", "method": "nothing"}]
            ).decode()
        )
        answer = await exchange(ws, {"jsonrpc": "2.0", "id": 9, "method": "add", "params": [4, 4]})
        assert answer == {"jsonrpc": "2.0", "id": 9, "result": 8}


async def test_malformed_frame_gets_an_error_and_the_connection_survives(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        for garbage in ["{", "\x00\x01", '{"id": 1, "method": 5}', "[1, 2"]:
            answer = await exchange(ws, garbage)
            assert answer["code"] in (-32700, -32600), answer
        await ws.send_bytes(b'{"id": 7, "method": "add", "params": [1, 2]}')
        assert await receive(ws) == {"id": 7, "method": "add", "result": 3}
        assert await exchange(ws, {"id": 8, "method": "add", "params": [1, 1]}) == {
            "id": 8,
            "method": "add",
            "result": 2,
        }
