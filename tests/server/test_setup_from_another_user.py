"""Before a password is set, only the OS user the daemon runs as may choose it without the
desktop token: another user's program on the machine gets 403 (Linux, where the kernel's
socket tables name the user at the other end of a loopback connection)."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.server.local_peer import peer_uid
from tests.conftest import http_url

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="names a peer's user on Linux")
PAGE = {"Origin": "http://localhost:5173"}


def refused(owner: int, who: str) -> dict[str, str]:
    return {
        "error": f"Forbidden: only the user the daemon runs as (uid {owner}) may set the "
        f"password, and this request comes from {who}. Set it from that user's browser, or send "
        "the desktop token (Authorization: Bearer)."
    }


@pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
)
def test_the_user_of_a_loopback_peer_is_named(family: int, host: str) -> None:
    with (
        socket.create_server((host, 0), family=family) as server,
        socket.create_connection(server.getsockname()[:2]) as client,
    ):
        accepted, _ = server.accept()
        with accepted:
            assert peer_uid(accepted.getpeername(), accepted.getsockname()) == os.getuid()
            assert peer_uid(client.getpeername(), client.getsockname()) == os.getuid()
            assert peer_uid((host, 1), accepted.getsockname()) is None  # no such connection


async def test_a_setup_from_another_user_is_refused_unless_it_has_the_token(
    daemon: Daemon,
) -> None:
    owner = os.getuid() + 1  # the daemon runs as one user, this test's requests come from another
    daemon.credentials.owner_uid = owner
    token = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": "taken-over"}, headers=PAGE
        ) as response:
            answer = (response.status, await response.json())
        assert answer == (403, refused(owner, f"another user (uid {os.getuid()})"))
        assert not daemon.credentials.is_password_set()
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": "the owner's"}, headers=token
        ) as response:
            assert response.status == 201
    assert await daemon.credentials.check_password("the owner's")


async def test_the_owners_first_run_in_the_browser_needs_no_token(daemon: Daemon) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(daemon, "/api/setup"), json={"password": "the owner's"}, headers=PAGE
        ) as response,
    ):
        assert (response.status, await response.json()) == (201, {"success": True})


SETUP_AS_NOBODY = """
import json, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], data=b'{"password": "taken-over"}', method="POST",
    headers={"Content-Type": "application/json", "Origin": "http://localhost:5173"})
try:
    urllib.request.urlopen(request)
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
"""


@pytest.mark.skipif(
    os.getuid() != 0 or not Path("/usr/bin/python3").exists(), reason="runs a process as nobody"
)
async def test_another_users_process_cannot_choose_the_password(daemon: Daemon) -> None:
    nobody = 65534
    other = await asyncio.create_subprocess_exec(  # the daemon answers in this event loop
        "/usr/bin/python3",
        "-c",
        SETUP_AS_NOBODY,
        http_url(daemon, "/api/setup"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        user=nobody,
        group=nobody,
        extra_groups=[],
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
    )
    stdout, stderr = await asyncio.wait_for(other.communicate(), 30)
    status, _, body = stdout.decode().partition(" ")
    assert (status, json.loads(body), stderr) == (
        "403",
        refused(0, f"another user (uid {nobody})"),
        b"",
    )
    assert not daemon.credentials.is_password_set()
