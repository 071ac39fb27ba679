"""The password flow and the credentials the WebSocket accepts."""

import hashlib
import stat

import aiohttp

from privatefolio_daemon.app import Daemon
from tests.conftest import http_url, ws_url


async def test_desktop_token_file_is_private(daemon: Daemon) -> None:
    token_file = daemon.config.token_file
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(token_file.read_text().strip()) == 64


async def test_password_flow(daemon: Daemon) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(http_url(daemon, "/api/setup-status")) as response:
            assert await response.json() == {"needsSetup": True, "kioskMode": False}
        async with session.post(http_url(daemon, "/api/login"), json={"password": "x"}) as response:
            assert (response.status, await response.json()) == (
                400,
                {"error": "Setup not complete."},
            )
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": "abc"}
        ) as response:
            assert response.status == 400
            assert await response.json() == {
                "error": "Password is required and must be at least 8 characters long."
            }
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": "correct horse"}
        ) as response:
            assert (response.status, await response.json()) == (201, {"success": True})
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": "another"}
        ) as response:
            assert (response.status, await response.json()) == (
                409,
                {"error": "Setup already complete."},
            )
        async with session.get(http_url(daemon, "/api/setup-status")) as response:
            assert await response.json() == {"needsSetup": False, "kioskMode": False}
        async with session.post(
            http_url(daemon, "/api/login"), json={"password": "wrong horse"}
        ) as response:
            assert (response.status, await response.json()) == (
                401,
                {"error": "Incorrect password."},
            )
        async with session.post(
            http_url(daemon, "/api/login"), json={"password": "correct horse"}
        ) as response:
            assert response.status == 200
            jwt = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {jwt}"}
        async with session.get(http_url(daemon, "/api/verify-auth"), headers=headers) as response:
            assert (response.status, await response.json()) == (200, {"valid": True})
        bad = {"Authorization": f"Bearer {jwt[:-2]}xx"}
        async with session.get(http_url(daemon, "/api/verify-auth"), headers=bad) as response:
            assert response.status == 401
            assert await response.json() == {
                "error": "Invalid or expired authentication token.",
                "valid": False,
            }
        async with session.ws_connect(f"{ws_url(daemon)}?jwt={jwt}") as ws:
            await ws.send_json({"id": 0, "method": "getAccountNames", "params": []})
            assert await ws.receive_json(timeout=5) == {
                "id": 0,
                "method": "getAccountNames",
                "result": [],
            }


async def test_token_in_query_string_is_accepted(daemon: Daemon) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{ws_url(daemon)}?token={daemon.credentials.desktop_token()}") as ws,
    ):
        await ws.send_json({"id": 0, "method": "ping", "params": []})
        assert await ws.receive_json(timeout=5) == {"id": 0, "method": "ping", "result": "pong"}


async def test_no_token_closes_the_socket_with_1008_and_runs_nothing(daemon: Daemon) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url(daemon)) as ws:
        await ws.send_json({"id": 0, "method": "createAccount", "params": ["sneaky"]})
        message = await ws.receive(timeout=5)
        assert (message.type, ws.close_code) == (aiohttp.WSMsgType.CLOSE, 1008)
    assert daemon.accounts.names() == []
    assert not (daemon.config.data_dir / "databases" / "sneaky.sqlite").exists()


async def test_a_password_is_the_same_whichever_way_its_accents_are_typed(
    daemon: Daemon,
) -> None:
    composed, decomposed = "caf\u00e9 cr\u00e8me", "cafe\u0301 cre\u0300me"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(daemon, "/api/setup"), json={"password": decomposed}
        ) as response:
            assert response.status == 201
        for typed in (composed, decomposed):
            async with session.post(
                http_url(daemon, "/api/login"), json={"password": typed}
            ) as response:
                assert response.status == 200, typed


async def test_a_password_stored_without_composing_its_accents_still_logs_in(
    daemon: Daemon,
) -> None:
    """As the Privatefolio backend stores it: the bytes as typed."""
    decomposed = "cafe\u0301 cre\u0300me"
    salt = b"0123456789abcdef"
    auth = daemon.credentials.auth_dir
    auth.mkdir(parents=True, exist_ok=True)
    (auth / ".salt").write_bytes(salt)
    (auth / ".hash").write_bytes(
        hashlib.scrypt(decomposed.encode(), salt=salt, n=16384, r=8, p=1, dklen=64)
    )
    (auth / ".jwtsecret").write_bytes(b"s" * 32)

    assert await daemon.credentials.check_password(decomposed)
    assert not await daemon.credentials.check_password("caf\u00e9 cr\u00e8me")
