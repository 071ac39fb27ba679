"""The password routes need no credential, so a web page must not reach them: no ``Origin:
null`` (a sandboxed frame on any site sends it) and no CORS "simple request" (text/plain)."""

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from tests.conftest import http_url, ws_url

NULL_ORIGIN_REFUSED = {
    "error": "Forbidden: a page with a null Origin (a sandboxed frame, a data: URL) may not "
    "set or check the password. Open the app from its own address."
}
NOT_JSON = {"error": "The body must be JSON, sent with Content-Type: application/json."}


@pytest.mark.parametrize("path", ["/api/setup", "/api/login"])
async def test_a_null_origin_cannot_reach_the_password_routes(daemon: Daemon, path: str) -> None:
    if path == "/api/login":
        await daemon.credentials.set_password("correct horse")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(daemon, path), json={"password": "attacker-pw"}, headers={"Origin": "null"}
        ) as response,
    ):
        assert (response.status, await response.json()) == (403, NULL_ORIGIN_REFUSED)
    if path == "/api/setup":
        assert not daemon.credentials.is_password_set()


@pytest.mark.parametrize("path", ["/api/setup", "/api/login"])
@pytest.mark.parametrize(
    "content_type", ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None]
)
async def test_the_password_routes_take_only_json(
    daemon: Daemon, path: str, content_type: str | None
) -> None:
    if path == "/api/login":
        await daemon.credentials.set_password("correct horse")
    headers = {"Content-Type": content_type} if content_type else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(daemon, path),
            data=b'{"password": "correct horse"}',
            headers={"Origin": "http://localhost:5173", **headers},
            skip_auto_headers=["Content-Type"],
        ) as response,
    ):
        assert (response.status, await response.json()) == (415, NOT_JSON)


async def test_the_null_origin_takeover_fails(daemon: Daemon) -> None:
    """What /tmp/qa-http/null_origin_takeover.py did: set a password, log in, open the socket."""
    headers = {"Origin": "null", "Content-Type": "text/plain;charset=UTF-8"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(daemon, "/api/setup"), data='{"password":"attacker-pw"}', headers=headers
        ) as response:
            assert response.status in (403, 415)
        assert not daemon.credentials.is_password_set()


async def test_a_null_origin_with_the_desktop_token_still_opens_the_socket(daemon: Daemon) -> None:
    """Electron (``Origin: null``) uses the desktop token, which a web page cannot read."""
    token = daemon.credentials.desktop_token()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{ws_url(daemon)}?token={token}", headers={"Origin": "null"}) as ws,
    ):
        await ws.send_json({"id": 1, "method": "ping", "params": []})
        assert await ws.receive_json(timeout=5) == {"id": 1, "method": "ping", "result": "pong"}


@pytest.mark.parametrize("path", ["/api/setup", "/api/login"])
@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (
            b'{"password": "correct horse"',
            (
                400,
                "The body is not valid JSON: Expecting ',' delimiter: line 1 column 29 (char 28)",
            ),
        ),
        (
            b'{"password": "' + b"x" * 2_000_000 + b'"}',
            (413, "The body is too large to hold a password"),
        ),
    ],
    ids=["not JSON", "too large"],
)
async def test_a_body_that_is_no_password_gets_a_json_error(
    daemon: Daemon, path: str, body: bytes, answer: tuple[int, str]
) -> None:
    if path == "/api/login":
        await daemon.credentials.set_password("correct horse")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(daemon, path),
            data=body,
            headers={"Origin": "http://localhost:5173", "Content-Type": "application/json"},
        ) as response,
    ):
        assert (response.status, await response.json()) == (answer[0], {"error": answer[1]})
    assert daemon.credentials.is_password_set() == (path == "/api/login")


@pytest.mark.parametrize(
    ("headers", "start"),
    [
        ({"Content-Type": "application/json; charset=bogus"}, "The body cannot be read: "),
        (
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            "The body cannot be read: ",
        ),
    ],
    ids=["unknown charset", "not gzip"],
)
async def test_a_body_that_cannot_be_decoded_gets_a_json_error(
    daemon: Daemon, headers: dict[str, str], start: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(daemon, "/api/setup"),
            data=b'{"password": "correct horse"}',
            headers={"Origin": "http://localhost:5173", **headers},
            skip_auto_headers=["Content-Type"],
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"].startswith(start)
    assert not daemon.credentials.is_password_set()
