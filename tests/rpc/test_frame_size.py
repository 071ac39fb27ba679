"""Frames may be 4 MiB; a larger one closes the socket with 1009 and a reason saying the limit."""

import os
from pathlib import Path

import aiohttp

from tests.rpc.probe_server import probe_server, receive

LIMIT = 4 * 1024 * 1024


async def test_a_frame_of_4_mib_is_answered(tmp_path: Path) -> None:
    call = '{"id": 1, "method": "add", "params": [1, 2]}'
    async with probe_server(tmp_path) as server, server.socket() as ws:
        await ws.send_str(call + " " * (LIMIT - len(call)))
        assert await receive(ws) == {"id": 1, "method": "add", "result": 3}


async def test_a_larger_frame_closes_the_socket_saying_the_limit(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server, server.socket() as ws:
        # Only the header of a text frame one byte too long: the server refuses it from that.
        header = bytes([0x81, 0x80 | 127]) + (LIMIT + 1).to_bytes(8, "big") + os.urandom(4)
        ws._writer.transport.write(header)
        closing = await ws.receive(timeout=5)
        assert (closing.type, closing.data, closing.extra) == (
            aiohttp.WSMsgType.CLOSE,
            1009,
            "Frame too large: at most 4,194,304 bytes (4 MiB)",
        )
