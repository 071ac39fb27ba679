"""A client closed for not reading (1013, or an unanswered heartbeat) loses its connection too:
the daemon drops it once the close has not gone through in time, with what it had not sent, so
that its socket is gone from the system and its bytes from the daemon's memory."""

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psutil

from tests.rpc.probe_server import ProbeServer, probe_server, until


class NeverReadingClient:
    """A WebSocket client that sends calls and never reads a byte of what comes back."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.port: int = writer.get_extra_info("sockname")[1]

    async def call(self, request_id: int, method: str, *params: object) -> None:
        text = orjson.dumps({"id": request_id, "method": method, "params": params})
        # Masked with a key of zeros, which leaves the bytes as they are.
        self._writer.write(struct.pack("!BBH", 0x81, 0xFE, len(text)) + bytes(4) + text)
        await self._writer.drain()


@asynccontextmanager
async def never_reading_client(server: ProbeServer) -> AsyncIterator[NeverReadingClient]:
    address = urlsplit(server.url)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((address.hostname, address.port))
    raw.setblocking(False)
    reader, writer = await asyncio.open_connection(sock=raw)
    writer.write(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + f"Authorization: Bearer {server.token}\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
    try:
        yield NeverReadingClient(writer)
    finally:
        writer.transport.abort()


def server_side_of(server: ProbeServer, client: NeverReadingClient) -> Callable[[], bool]:
    """Whether the system still has the server's end of the client's connection, in any state
    (a socket closed with bytes unsent lingers as FIN-WAIT-1, which no process holds)."""
    port = urlsplit(server.url).port

    def still_there() -> bool:
        return any(
            c.laddr and c.laddr.port == port and c.raddr and c.raddr.port == client.port
            for c in psutil.net_connections(kind="tcp")
        )

    return still_there


async def test_a_client_closed_with_1013_loses_its_connection(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, queued_bytes=4 * 2**20, close_timeout_seconds=0.2) as server,
        never_reading_client(server) as client,
    ):
        connected = server_side_of(server, client)
        assert connected()
        for request_id in range(30):
            await client.call(request_id, "payload", 2**20)
        await until(lambda: server.stats.slow_consumers_closed == 1, seconds=30)

        await until(lambda: not connected(), seconds=30)
        await until(lambda: server.stats.connections == 0, seconds=30)
        assert server.hub.queued_bytes == 0


async def test_a_client_that_misses_the_heartbeat_loses_its_connection(tmp_path: Path) -> None:
    async with (
        probe_server(tmp_path, close_timeout_seconds=0.2, heartbeat_seconds=0.5) as server,
        never_reading_client(server) as client,
    ):
        connected = server_side_of(server, client)
        assert connected()
        # Far less than the client's queue may hold, but more than the system takes in.
        await client.call(1, "payload", 8 * 2**20)
        await until(lambda: server.stats.connections == 0, seconds=30)
        assert server.stats.slow_consumers_closed == 0

        await until(lambda: not connected(), seconds=30)
