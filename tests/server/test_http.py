"""The REST routes and the request gates: Host, Origin, CORS, static files."""

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

import privatefolio_daemon
from privatefolio_daemon.app import Daemon
from tests.conftest import http_url, make_config, ws_url


async def test_ping_answers_pong_as_plain_text(daemon: Daemon) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/ping")) as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.text() == "pong"


async def test_info_describes_the_build(tmp_path: Path) -> None:
    config = replace(
        make_config(tmp_path), app_version="9.9.9", git_hash="abcdef1234", git_date="2026-01-02"
    )
    daemon = Daemon(config)
    await daemon.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(http_url(daemon, "/info")) as response,
        ):
            assert await response.json() == {
                "name": "privatefolio",
                "version": "9.9.9",
                "commit": "abcdef1234",
                "digest": "abcdef1",
                "buildDate": "2026-01-02",
                "homepage": "https://privatefolio.app",
            }
    finally:
        await daemon.stop()


SLOW_GIT = """#!/bin/sh
touch "$0.started"
i=0
while [ ! -e "$0.released" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
echo "0123456789abcdef0123456789abcdef01234567 2026-01-02T03:04:05+00:00"
"""


async def test_the_commit_is_read_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``git log`` runs at the first /info, and a slow one holds up that answer only."""
    checkout = Path(privatefolio_daemon.__file__).parent.parent
    if not (checkout / ".git").exists():
        pytest.skip("the package is not in a git checkout of its own")
    git = tmp_path / "bin" / "git"
    git.parent.mkdir()
    git.write_text(SLOW_GIT)
    git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{git.parent}{os.pathsep}{os.environ['PATH']}")
    daemon = Daemon(make_config(tmp_path / "data"))
    await daemon.start()
    try:
        async with aiohttp.ClientSession() as session:
            info = asyncio.ensure_future(session.get(http_url(daemon, "/info")))
            for _ in range(6000):
                if await asyncio.to_thread(Path(f"{git}.started").exists):
                    break
                await asyncio.sleep(0.005)
            async with session.get(http_url(daemon, "/ping")) as ping:
                assert await ping.text() == "pong"
            assert not info.done()  # git still runs, and the daemon answers meanwhile
            await asyncio.to_thread(Path(f"{git}.released").touch)
            async with await info as response:
                assert (await response.json())["commit"] == "0123456789abcdef" * 2 + "01234567"
    finally:
        await daemon.stop()


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:5173",
        "https://127.0.0.1:8080",
        "http://[::1]:3000",
        "null",
        "file://",
        "app://privatefolio",
    ],
)
async def test_preflight_reflects_allowed_origins(daemon: Daemon, origin: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.options(http_url(daemon, "/upload"), headers={"Origin": origin}) as response,
    ):
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert response.headers["Vary"] == "Origin"


async def test_preflight_from_a_foreign_origin_gets_no_cors_headers(daemon: Daemon) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.options(
            http_url(daemon, "/upload"), headers={"Origin": "https://evil.example"}
        ) as response,
    ):
        assert response.status == 204
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_foreign_origin_cannot_open_the_websocket(daemon: Daemon) -> None:
    headers = {
        "Origin": "https://evil.example",
        "Authorization": f"Bearer {daemon.credentials.desktop_token()}",
    }
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(ws_url(daemon), headers=headers)
        assert caught.value.status == 403


@pytest.mark.parametrize(
    "path", ["/", "/l/0/assets", "/ping", "/info", "/api/setup-status", "/download", "/upload"]
)
async def test_the_websocket_opens_on_any_path(daemon: Daemon, path: str) -> None:
    """The daemon's own routes included: an upgrade never gets the route's answer."""
    url = f"ws://127.0.0.1:{daemon.port}{path}?token={daemon.credentials.desktop_token()}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_json({"id": 1, "method": "ping", "params": []})
        assert await ws.receive_json(timeout=5) == {"id": 1, "method": "ping", "result": "pong"}


async def test_foreign_origin_cannot_change_state_over_http(daemon: Daemon) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(daemon, "/api/setup"),
            json={"password": "hunter22"},
            headers={"Origin": "https://evil.example"},
        ) as response:
            assert response.status == 403
            assert await response.text() == "Forbidden: this Origin is not allowed.\n"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert not daemon.credentials.is_password_set()


async def test_configured_origin_is_allowed(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path), allowed_origins=("https://my.portfolio.example",))
    daemon = Daemon(config)
    await daemon.start()
    try:
        headers = {
            "Origin": "https://my.portfolio.example",
            "Authorization": f"Bearer {daemon.credentials.desktop_token()}",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(ws_url(daemon), headers=headers) as ws,
        ):
            await ws.send_json({"id": 1, "method": "ping", "params": []})
            assert await ws.receive_json(timeout=5) == {"id": 1, "method": "ping", "result": "pong"}
    finally:
        await daemon.stop()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5555", "192.168.1.20:5555"])
async def test_foreign_host_header_is_refused(daemon: Daemon, host: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/ping"), headers={"Host": host}) as response,
    ):
        assert response.status == 403
        assert await response.text() == "Forbidden: this Host is not allowed.\n"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_loopback_host_names_are_accepted(daemon: Daemon) -> None:
    async with aiohttp.ClientSession() as session:
        for host in ("localhost:5555", "127.0.0.1", "[::1]:4001"):
            async with session.get(http_url(daemon, "/ping"), headers={"Host": host}) as response:
                assert response.status == 200, host


async def test_without_a_frontend_build_the_root_explains_how_to_configure_one(
    daemon: Daemon,
) -> None:
    async with aiohttp.ClientSession() as session, session.get(http_url(daemon, "/")) as response:
        assert response.status == 404
        assert "--frontend-dir" in await response.text()


async def test_frontend_build_is_served_with_spa_fallback_and_no_traversal(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text("<html>app</html>")
    (build / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("do not serve")
    config = make_config(tmp_path / "data", frontend_dir=str(build))
    daemon = Daemon(config)
    await daemon.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(http_url(daemon, "/assets/app.js")) as response:
                assert (response.status, await response.text()) == (200, "console.log(1)")
            async with session.get(http_url(daemon, "/portfolio/assets")) as response:
                assert (response.status, await response.text()) == (200, "<html>app</html>")
            for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
                async with session.get(http_url(daemon, path)) as response:
                    assert await response.text() != "do not serve", path
    finally:
        await daemon.stop()
