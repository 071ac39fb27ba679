"""Request ids: a string, a number or null, echoed exactly; anything else is -32600 with no id."""

from pathlib import Path

import pytest

from tests.rpc.probe_server import exchange, probe_server, receive

NOT_AN_ID = 'Invalid request: "id" must be a string, a number or null'
TOO_LARGE = 'Invalid request: "id" is a number too large to echo exactly'

BAD_IDS = [
    ("true", NOT_AN_ID),
    ("false", NOT_AN_ID),
    ("{}", NOT_AN_ID),
    ("[1]", NOT_AN_ID),
    ("123456789012345678901234567890", TOO_LARGE),
    ("-123456789012345678901234567890", TOO_LARGE),
    ("18446744073709551616", TOO_LARGE),
    ("1e300", TOO_LARGE),
]


@pytest.mark.parametrize(("raw_id", "message"), BAD_IDS)
async def test_jsonrpc_refuses_ids_it_cannot_echo(
    tmp_path: Path, raw_id: str, message: str
) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        frame = f'{{"jsonrpc": "2.0", "id": {raw_id}, "method": "add", "params": [1, 2]}}'
        assert await exchange(ws, frame) == {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": message},
        }


@pytest.mark.parametrize(("raw_id", "message"), BAD_IDS)
async def test_privatefolio_refuses_them_too(tmp_path: Path, raw_id: str, message: str) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        frame = f'{{"id": {raw_id}, "method": "add", "params": [1, 2]}}'
        assert await exchange(ws, frame) == {"method": "add", "error": message, "code": -32600}


GOOD_IDS = [
    "0",
    "7",
    "-1",
    "18446744073709551615",
    "-9223372036854775808",
    "9007199254740993",
    "1.5",
    '"a-7"',
    '""',
]


@pytest.mark.parametrize("raw_id", GOOD_IDS)
async def test_ids_are_echoed_exactly(tmp_path: Path, raw_id: str) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await ws.send_str(f'{{"jsonrpc": "2.0", "id": {raw_id}, "method": "add", "params": [1]}}')
        assert (await ws.receive(timeout=5)).data == f'{{"jsonrpc":"2.0","id":{raw_id},"result":2}}'
        await ws.send_str(f'{{"id": {raw_id}, "method": "add", "params": [1]}}')
        assert (await ws.receive(timeout=5)).data == f'{{"id":{raw_id},"method":"add","result":2}}'


async def test_a_null_id_is_a_call_not_a_notification(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await ws.send_str('{"jsonrpc": "2.0", "id": null, "method": "add", "params": [1]}')
        assert await receive(ws) == {"jsonrpc": "2.0", "id": None, "result": 2}
