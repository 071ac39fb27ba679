"""Large result lists go out whole, encoded off the event loop, whether the answer is the list
or an object that holds it; the connection frees only those a method gives away."""

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.rpc.probe_server import exchange, probe_server


async def test_an_owned_result_is_sent_whole_then_freed(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "ownedRecords", "params": [5000]})
        assert answer["result"] == [{"n": index} for index in range(5000)]
        assert server.api.owned == []


async def test_a_cached_result_is_sent_again_and_kept(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        for request_id in (1, 2):
            answer = await exchange(ws, {"id": request_id, "method": "cachedRecords"})
            assert answer["result"] == [{"n": index} for index in range(5000)]
        assert len(server.api.cached) == 5000


@pytest.mark.parametrize("shape", ["list", "object", "nested", "keys", "rows"])
async def test_a_large_answer_is_encoded_off_the_event_loop(tmp_path: Path, shape: str) -> None:
    records = [{"n": index, "amount": str(Decimal(index) / 4)} for index in range(5000)]
    expected: dict[str, Any] = {
        "list": records,
        "object": {"lastSeq": 5000, "records": records},
        "nested": {"page": {"hasMore": False, "records": records}},
        "keys": {f"r{record['n']}": record for record in records},
        "rows": [records[start : start + 100] for start in range(0, 5000, 100)],
    }
    async with probe_server(tmp_path) as server, server.socket() as ws:
        answer = await exchange(ws, {"id": 1, "method": "notedRecords", "params": [5000, shape]})
        assert answer == {"id": 1, "method": "notedRecords", "result": expected[shape]}
        assert server.api.encoded_on
        assert threading.get_ident() not in server.api.encoded_on
