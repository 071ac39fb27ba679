"""Flow control: a client that cannot keep up is closed with 1013, and nobody else waits."""

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.rpc.probe_server import exchange, probe_server, receive


async def test_slow_consumer_is_closed_with_1013_while_others_stay_fast(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=256 * 2**10) as server,
        server.socket() as slow,
        server.socket() as fast,
    ):
        ref = {"__isFunction": True, "functionId": "client_func_1_0"}
        await exchange(slow, {"id": 1, "method": "subscribeToTicks", "params": [ref]})
        # The slow client stops reading. The fast one floods events and keeps calling.
        latencies = []
        for request_id in range(40):
            await exchange(fast, {"id": request_id, "method": "emitTicks", "params": [500, 2000]})
            started = time.perf_counter()
            answer = await exchange(fast, {"id": 1000 + request_id, "method": "ping", "params": []})
            latencies.append(time.perf_counter() - started)
            assert answer["result"] == "pong"
            if server.stats.slow_consumers_closed:
                break
        assert server.stats.slow_consumers_closed == 1
        assert max(latencies) < 2.0, latencies
        # Now the slow client reads its backlog and finds the close frame with 1013.
        while True:
            message = await slow.receive(timeout=10)
            if message.type != aiohttp.WSMsgType.TEXT:
                break
        closing = (message.type, message.data, message.extra)
        assert closing == (aiohttp.WSMsgType.CLOSE, 1013, "Client too slow to keep up")
        assert await exchange(fast, {"id": 5000, "method": "add", "params": [1, 2]}) == {
            "id": 5000,
            "method": "add",
            "result": 3,
        }


async def test_calls_of_one_connection_run_concurrently(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        started = time.perf_counter()
        for request_id in range(10):
            await ws.send_json({"id": request_id, "method": "sleep", "params": [0.3]})
        answers = [await receive(ws) for _ in range(10)]
        assert sorted(answer["id"] for answer in answers) == list(range(10))
        assert time.perf_counter() - started < 2.5
        await asyncio.sleep(0)


async def test_a_client_that_never_reads_its_answers_is_closed_by_their_size(
    tmp_path: Path,
) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=8 * 2**20) as server,
        server.socket() as slow,
        server.socket() as fast,
    ):
        # Few frames, but large ones: their bytes close the client.
        for request_id in range(200):
            await slow.send_json({"id": request_id, "method": "payload", "params": [2**20]})
            if server.stats.slow_consumers_closed:
                break
            await asyncio.sleep(0.01)
        assert server.stats.slow_consumers_closed == 1
        assert await exchange(fast, {"id": 1, "method": "add", "params": [1, 2]}) == {
            "id": 1,
            "method": "add",
            "result": 3,
        }
