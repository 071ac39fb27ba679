"""How a credential arrives: any case of the Bearer scheme, bytes that are not text (no
credential, never a 500), and the desktop token is valid wherever a JWT is."""

import asyncio

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from tests.conftest import http_url, ws_url

NOT_TEXT = b"Authorization: Bearer \xff\xfe\r\n"


async def raw_exchange(daemon: Daemon, head: bytes, until: bytes) -> bytes:
    """Send a request as raw bytes; read until the answer holds ``until`` after its head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    try:
        writer.write(head)
        await writer.drain()
        received = b""
        while not received.partition(b"\r\n\r\n")[2].startswith(until):
            chunk = await asyncio.wait_for(reader.read(65536), 5)
            if not chunk:
                break
            received += chunk
        return received
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/download"), ("POST", "/upload"), ("GET", "/api/verify-auth")],
)
async def test_an_authorization_that_is_not_text_is_no_credential(
    daemon: Daemon, method: str, path: str
) -> None:
    await daemon.credentials.set_password("correct horse")
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
    ).encode()
    answer = await raw_exchange(daemon, head + NOT_TEXT + b"\r\n", until=b"{")
    assert answer.startswith(b"HTTP/1.1 401 "), answer


async def test_a_socket_with_an_authorization_that_is_not_text_is_closed_with_1008(
    daemon: Daemon,
) -> None:
    head = (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    )
    answer = await raw_exchange(daemon, head + NOT_TEXT + b"\r\n", until=b"\x88")
    assert answer.startswith(b"HTTP/1.1 101 ")
    frame = answer.partition(b"\r\n\r\n")[2]
    assert frame[:2] == b"\x88\x0e"  # a close frame, 2 bytes of code and "Unauthorized"
    assert int.from_bytes(frame[2:4], "big") == 1008
    assert frame[4:] == b"Unauthorized"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
async def test_the_bearer_scheme_is_case_insensitive(daemon: Daemon, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} {daemon.credentials.desktop_token()}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url(daemon), headers=headers) as ws,
    ):
        await ws.send_json({"id": 1, "method": "ping", "params": []})
        assert await ws.receive_json(timeout=5) == {"id": 1, "method": "ping", "result": "pong"}


@pytest.mark.parametrize("password_set", [False, True])
async def test_verify_auth_accepts_the_desktop_token(daemon: Daemon, password_set: bool) -> None:
    if password_set:
        await daemon.credentials.set_password("correct horse")
    headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/api/verify-auth"), headers=headers) as response,
    ):
        assert (response.status, await response.json()) == (200, {"valid": True})
