"""On a LAN the daemon's own frontend is served from http://<LAN address>:<port>: its requests
carry that Origin, which is the request's own, and must pass once the Host has."""

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon, StartupError
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.config import load_config
from tests.conftest import http_url, make_config, ws_url

LAN = "192.0.2.2"


@pytest.fixture
async def lan_daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    # Listening on loopback, but answering requests that name the LAN address, as behind
    # --host 0.0.0.0 with ALLOWED_HOSTS=192.0.2.2.
    daemon = Daemon(replace(make_config(tmp_path / "data"), allowed_hosts=(LAN,)))
    await daemon.start()
    await daemon.credentials.set_password("correct horse")
    yield daemon
    await daemon.stop()


async def test_the_daemons_own_page_may_log_in_and_open_the_socket(lan_daemon: Daemon) -> None:
    own = f"http://{LAN}:{lan_daemon.port}"
    headers = {"Host": f"{LAN}:{lan_daemon.port}", "Origin": own}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            http_url(lan_daemon, "/api/login"), json={"password": "correct horse"}, headers=headers
        ) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == own
            jwt = (await response.json())["token"]
        async with session.ws_connect(f"{ws_url(lan_daemon)}?jwt={jwt}", headers=headers) as ws:
            await ws.send_json({"id": 1, "method": "ping", "params": []})
            assert await ws.receive_json(timeout=5) == {"id": 1, "method": "ping", "result": "pong"}


async def test_in_kiosk_mode_the_daemons_own_page_reads_without_a_login(
    lan_daemon: Daemon,
) -> None:
    token = lan_daemon.credentials.desktop_token()
    async with await DaemonClient.connect(ws_url(lan_daemon), token=token) as client:
        await client.call("createAccount", "main")
        await client.call("updateSettings", "main", {"kioskMode": True})
    own = f"http://{LAN}:{lan_daemon.port}"
    headers = {"Host": f"{LAN}:{lan_daemon.port}", "Origin": own}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url(lan_daemon), headers=headers) as ws,
    ):
        await ws.send_json({"id": 1, "method": "getAccountNames", "params": []})
        assert (await ws.receive_json(timeout=5))["result"] == ["main"]


@pytest.mark.parametrize(
    "origin", ["http://{lan}:1", "https://{lan}:{port}", "http://evil.example"]
)
async def test_another_origin_on_the_lan_is_still_refused(lan_daemon: Daemon, origin: str) -> None:
    headers = {
        "Host": f"{LAN}:{lan_daemon.port}",
        "Origin": origin.format(lan=LAN, port=lan_daemon.port),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            http_url(lan_daemon, "/api/login"), json={"password": "correct horse"}, headers=headers
        ) as response,
    ):
        assert response.status == 403
        assert await response.text() == "Forbidden: this Origin is not allowed.\n"


async def test_a_host_not_allowed_is_refused_even_with_its_own_origin(daemon: Daemon) -> None:
    headers = {"Host": f"{LAN}:{daemon.port}", "Origin": f"http://{LAN}:{daemon.port}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/ping"), headers=headers) as response,
    ):
        assert response.status == 403
        assert await response.text() == "Forbidden: this Host is not allowed.\n"


@pytest.mark.parametrize(
    ("host", "hosts", "warned"),
    [
        ("0.0.0.0", (), True),
        ("0.0.0.0", (LAN,), False),
        ("127.0.0.1", (), False),
    ],
)
async def test_listening_beyond_loopback_without_allowed_hosts_logs_a_hint(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    host: str,
    hosts: tuple[str, ...],
    warned: bool,
) -> None:
    caplog.set_level(logging.WARNING)
    daemon = Daemon(replace(make_config(tmp_path / "data"), host=host, allowed_hosts=hosts))
    await daemon.credentials.set_password("correct horse")
    await daemon.start()
    await daemon.stop()
    hints = [
        record.getMessage() for record in caplog.records if "ALLOWED_HOSTS" in record.getMessage()
    ]
    if warned:
        assert hints == [
            "Host 0.0.0.0 with ALLOWED_HOSTS empty: a request must name this computer "
            "by a loopback Host (localhost, 127.0.0.1, [::1]), so every request from the LAN gets "
            "403 'this Host is not allowed'. Set ALLOWED_HOSTS to the names or addresses the LAN "
            "uses for it (ALLOWED_HOSTS=192.168.1.20,nas.local)."
        ]
    else:
        assert hints == []


async def test_a_refusal_to_listen_beyond_loopback_comes_before_any_hint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    daemon = Daemon(replace(make_config(tmp_path / "data"), host="0.0.0.0"))
    with pytest.raises(StartupError) as refused:
        await daemon.start()
    assert str(refused.value).startswith("Refusing to listen on 0.0.0.0: binding an address ")
    assert caplog.records == []


async def test_an_allowed_host_written_with_a_port_lets_its_requests_in(tmp_path: Path) -> None:
    hosts = load_config(environ={"ALLOWED_HOSTS": f"{LAN}:47160,[fe80::1]:47160"}).allowed_hosts
    daemon = Daemon(replace(make_config(tmp_path / "data"), allowed_hosts=hosts))
    await daemon.start()
    try:
        async with aiohttp.ClientSession() as session:
            for host in (f"{LAN}:47160", f"{LAN}:{daemon.port}", "[fe80::1]:47160"):
                async with session.get(http_url(daemon, "/ping"), headers={"Host": host}) as got:
                    assert (got.status, await got.text()) == (200, "pong"), host
    finally:
        await daemon.stop()
