"""A call in flight when its client goes away runs to its end: cut short, it could leave a change
the user asked for half made (a reset, a rename, a task row with no task)."""

import asyncio
import contextlib
from pathlib import Path

import aiohttp
import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.conftest import ws_url
from tests.rpc.probe_server import probe_server


async def test_a_call_runs_to_its_end_after_its_client_closed_the_socket(tmp_path: Path) -> None:
    async with probe_server(tmp_path) as server:
        async with server.socket() as ws:
            frame = {"id": 1, "method": "sleepThenMark", "params": [0.2, "finished"]}
            await ws.send_str(orjson.dumps(frame).decode())
            await asyncio.sleep(0.05)
        assert server.api.marks == []

        for _ in range(100):
            if server.stats.connections == 0:
                break
            await asyncio.sleep(0.01)

        assert server.api.marks == ["finished"]
        assert server.stats.connections == 0


async def test_a_reset_whose_client_left_at_once_is_done_whole(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["before the reset"])
    headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url(daemon), headers=headers) as ws,
    ):
        frame = {"id": 1, "method": "resetAccount", "params": ["main"]}
        await ws.send_str(orjson.dumps(frame).decode())

    markers = daemon.accounts.databases_dir.glob
    for _ in range(300):
        with contextlib.suppress(RpcCallError):  # while the reset runs, the account is closed
            if await client.call("getTags", "main") == [] and not list(markers("*.resetting")):
                break
        await asyncio.sleep(0.01)
    assert await client.call("getAccountNames") == ["main"]
    assert await client.call("getTags", "main") == []
    assert not list(markers("*.resetting"))
