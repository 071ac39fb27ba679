"""Stopping never waits longer than the shutdown grace for a stalled request, and an IPv6
address in brackets (``--host '[::1]'``) is one to listen on."""

import asyncio
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.config import load_config
from privatefolio_daemon.settings import Limits
from tests.conftest import make_config
from tests.daemon_process import clean_environment, daemon_command


async def test_a_stalled_request_holds_up_stopping_for_the_grace_period_only(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "data")
    daemon = Daemon(replace(config, limits=replace(Limits(), shutdown_grace_seconds=1.0)))
    await daemon.start()
    _, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    try:
        # A body announced as 100 bytes, of which 10 come: the handler waits for the rest.
        writer.write(
            b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"passwor'
        )
        await writer.drain()
        await asyncio.sleep(0.3)
        started = time.monotonic()
        await daemon.stop()
        assert time.monotonic() - started < 10  # aiohttp's default is 60 s
    finally:
        writer.close()


def test_brackets_around_an_ipv6_host_are_not_part_of_it() -> None:
    config = load_config(environ={}, host="[::1]")
    assert (config.host, config.binds_loopback_only) == ("::1", True)
    assert load_config(environ={"HOST": "[::1]"}).host == "::1"


def test_the_daemon_listens_on_ipv6_loopback_and_logs_its_url_in_brackets(tmp_path: Path) -> None:
    process = subprocess.Popen(
        daemon_command(tmp_path / "data", "--host", "[::1]", "--port", "0", "--print-ready"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert line.startswith("{"), line + errors
    port = orjson.loads(line)["port"]
    assert f"Listening on http://[::1]:{port} " in errors
