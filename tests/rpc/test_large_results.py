"""Large result lists go out whole; the connection frees only those a method gives away."""

from pathlib import Path

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
