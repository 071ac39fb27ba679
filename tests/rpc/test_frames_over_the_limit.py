"""A frame over a client's queue limit (a large batch's answers) goes out to a client that reads
it, with the small frames around it; only a client for whom two such frames would wait is closed.

Each test first leaves an answer of 600 KB unread: the client then stops reading from its socket
(aiohttp pauses at 512 KiB unread), so that the large answer after it stays being written, as
it does for a while to a client that reads a large frame over a slow network.
"""

import socket
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from tests.rpc.probe_server import exchange, probe_server, receive, until

LIMIT = 16 * 2**20
#: In MiB: over the limit, and far more than the system buffers of the connection hold.
OVER = 24
#: In MiB: under the limit, and still more than those buffers hold.
UNDER = 10
PAUSES_THE_CLIENT = 600_000


async def call(
    ws: aiohttp.ClientWebSocketResponse, marks: list[str], method: str, *params: Any
) -> None:
    """Send a call that notes its last parameter as a mark, once its answer is queued."""
    await ws.send_bytes(orjson.dumps({"id": len(marks) + 2, "method": method, "params": params}))
    await until(lambda: marks[-1:] == [params[-1]])


async def answers(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[tuple[int, int]]:
    """The id and the size of the result (in MiB for a list of texts) of the next answers."""
    sizes = []
    for _ in range(count):
        answer = await receive(ws, timeout=30)
        result = answer.get("result")
        size = len(result) if isinstance(result, str) else len(result or []) * 2**20
        sizes.append((answer["id"], size))
    return sizes


async def pause(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Stop the client reading; a small receive buffer keeps the system from taking in much."""
    ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2**16)
    await ws.send_bytes(orjson.dumps({"id": 1, "method": "payload", "params": [PAUSES_THE_CLIENT]}))


async def test_the_frames_behind_a_large_one_being_written_are_sent_too(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=LIMIT) as server,
        server.socket(max_msg_size=0) as ws,
    ):
        marks = server.api.marks
        await pause(ws)
        await call(ws, marks, "markedPayload", 0, OVER, "large")
        await call(ws, marks, "sleepThenMark", 0, "small")

        expected = [(1, PAUSES_THE_CLIENT), (2, OVER * 2**20), (3, 0)]
        assert await answers(ws, 3) == expected
        ping = await exchange(ws, {"id": 4, "method": "ping", "params": []})
        assert ping == {"id": 4, "method": "ping", "result": "pong"}
        assert server.stats.slow_consumers_closed == 0


async def test_a_frame_over_the_limit_goes_out_while_small_frames_wait(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=LIMIT) as server,
        server.socket(max_msg_size=0) as ws,
    ):
        marks = server.api.marks
        await pause(ws)
        await call(ws, marks, "markedPayload", 0, UNDER, "being written")
        await call(ws, marks, "sleepThenMark", 0, "waits")
        await call(ws, marks, "markedPayload", 0, OVER, "large")

        expected = [(1, PAUSES_THE_CLIENT), (2, UNDER * 2**20), (3, 0), (4, OVER * 2**20)]
        assert await answers(ws, 4) == expected
        assert server.stats.slow_consumers_closed == 0


async def test_a_client_for_whom_two_frames_over_the_limit_would_wait_is_closed(
    tmp_path: Path,
) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=LIMIT) as server,
        server.socket(max_msg_size=0) as ws,
    ):
        marks = server.api.marks
        await pause(ws)
        await call(ws, marks, "markedPayload", 0, UNDER, "being written")
        await call(ws, marks, "markedPayload", 0, OVER, "waits")
        await call(ws, marks, "markedPayload", 0, OVER, "would wait too")
        assert server.stats.slow_consumers_closed == 1

        # What was being written still arrives; what waited is dropped.
        assert await answers(ws, 2) == [(1, PAUSES_THE_CLIENT), (2, UNDER * 2**20)]
        closing = await ws.receive(timeout=30)
        assert (closing.type, closing.data, closing.extra) == (
            aiohttp.WSMsgType.CLOSE,
            1013,
            "Client too slow to keep up",
        )
