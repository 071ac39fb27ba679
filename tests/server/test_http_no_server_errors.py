"""Every HTTP route, sent odd methods, paths, queries, headers and bodies, answers 4xx, never 5xx.

Requests are drawn from a fixed pool: with and without the desktop token, foreign and allowed
Origins, JSON that is broken or of the wrong types, bodies that claim to be multipart and are
not, multipart forms with their fields missing, out of order or out of range, file ids beyond any
row id, and names that climb out of their directory.
"""

import random

import aiohttp

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.conftest import http_url

BODIES = [
    b"", b"{", b"null", b"[]", b'{"password": 1}', b'{"password": ""}', b'{"password": null}',
    b'{"password": "correct horse battery"}', b"\xff\xfe", b"a" * 100_000,
    b'{"password": "' + b"p" * 5000 + b'"}',
]  # fmt: skip
PATHS = [
    "/ping", "/info", "/api/setup-status", "/api/setup", "/api/login", "/api/verify-auth",
    "/download", "/upload", "/", "/index.html", "/../etc/passwd", "/%2e%2e/x", "/api/", "/x" * 200,
]  # fmt: skip
QUERIES = [
    "", "?accountName=main&fileId=1", "?accountName=../x&fileId=1", "?accountName=main&fileId=abc",
    "?accountName=main&fileId=-1", "?accountName=main&fileId=99999999999999999999", "?fileId=1",
    "?accountName=&fileId=", "?accountName=main&fileId=%C2%B2", "?jwt=abc", "?token=abc",
]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "multipart/form-data; boundary=x", "multipart/form-data", "text/plain",
]  # fmt: skip
FIELD_VALUES = ["main", "../main", "", "1", "2", "-1", "99999999999999999999", "x", "%00"]


def upload_form(draw: random.Random) -> aiohttp.FormData:
    form = aiohttp.FormData()
    parts = ["accountName", "fileId", "file", "other"]
    draw.shuffle(parts)
    for name in parts[: draw.randint(0, 4)]:
        if name == "file":
            form.add_field("file", draw.choice(BODIES), filename=draw.choice(["a.csv", "../a.csv"]))
        else:
            form.add_field(name, draw.choice(FIELD_VALUES))
    return form


async def test_no_request_gets_a_server_error(daemon: Daemon, client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertServerFile", "main", {"name": "a.csv", "createdBy": "user"})
    token = daemon.credentials.desktop_token()
    draw = random.Random(20261202)
    server_errors: dict[tuple[str, str, int], str] = {}
    async with aiohttp.ClientSession() as session:
        for _ in range(1500):
            method = draw.choice(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"])
            path = draw.choice(PATHS) + draw.choice(QUERIES)
            headers = {}
            if draw.random() < 0.6:
                headers["Authorization"] = f"Bearer {token}"
            if draw.random() < 0.3:
                headers["Origin"] = draw.choice(["http://localhost:3000", "https://evil.example"])
            data: bytes | aiohttp.FormData = draw.choice(BODIES)
            if method == "POST" and draw.random() < 0.3:
                data = upload_form(draw)
            elif draw.random() < 0.3:
                headers["Content-Type"] = draw.choice(CONTENT_TYPES)
            async with session.request(
                method, http_url(daemon, path), data=data, headers=headers
            ) as response:
                await response.read()
                if response.status >= 500:
                    server_errors.setdefault((method, path, response.status), repr(headers))
    assert server_errors == {}
    assert await client.call("ping") == "pong"
