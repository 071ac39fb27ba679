"""A result that cannot be written as JSON is answered with an error, never left unanswered."""

from decimal import Decimal
from pathlib import Path

from tests.rpc.probe_server import exchange, probe_server

REASON = "The result of unencodable cannot be sent as JSON: Type is not JSON serializable: object"


async def test_both_dialects_get_an_internal_error(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        assert await exchange(ws, '{"id": 1, "method": "unencodable", "params": []}') == {
            "id": 1,
            "method": "unencodable",
            "error": REASON,
            "code": -32603,
        }
        frame = '{"jsonrpc": "2.0", "id": 2, "method": "unencodable"}'
        assert await exchange(ws, frame) == {
            "jsonrpc": "2.0",
            "id": 2,
            "error": {"code": -32603, "message": REASON},
        }


async def test_the_other_answers_of_a_batch_still_go_out(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        frame = (
            '[{"jsonrpc": "2.0", "id": 1, "method": "unencodable"},'
            ' {"jsonrpc": "2.0", "id": 2, "method": "add", "params": [1, 2]}]'
        )
        assert await exchange(ws, frame) == [
            {"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": REASON}},
            {"jsonrpc": "2.0", "id": 2, "result": 3},
        ]


async def test_a_long_list_encoded_in_parts_is_the_same_json(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(
            ws, '{"jsonrpc": "2.0", "id": 1, "method": "records", "params": [5001]}'
        )
        assert answer["result"] == [{"n": n, "amount": str(Decimal(n) / 4)} for n in range(5001)]
        frame = '{"jsonrpc": "2.0", "id": 2, "method": "records", "params": [5001, 4500]}'
        reason = (
            "The result of records cannot be sent as JSON: Type is not JSON serializable: object"
        )
        assert await exchange(ws, frame) == {
            "jsonrpc": "2.0",
            "id": 2,
            "error": {"code": -32603, "message": reason},
        }
