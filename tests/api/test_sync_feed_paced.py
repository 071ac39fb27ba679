"""A device that catches up on a long change feed reads it at its own pace: the replay waits while
what waits for the device holds more than a little, and a device that reads slowly is never
closed as too slow to keep up."""

import asyncio
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from privatefolio_daemon.settings import Limits
from tests.conftest import make_config, running_daemon, ws_url

CHANGES = 6000
#: Pages of 500 changes of about 3 KB: 1.6 MB each, under the queue limit below, two over it.
NOTES = "n" * 3000


def deposit(number: int) -> dict[str, Any]:
    data = {
        "type": "Deposit",
        "timestamp": 1_700_000_000_000 + number,
        "wallet": "w",
        "platformId": "p",
        "incoming": "1",
        "incomingAsset": "fiat:USD",
        "notes": NOTES,
    }
    return {"eventId": f"e{number}", "type": "transaction.add", "data": data}


async def test_a_slow_reader_catches_up_on_a_long_feed(tmp_path: Path) -> None:
    limits = Limits(
        rpc_max_queued_bytes=2 * 2**20,
        rpc_max_queued_bytes_total=4 * 2**20,
        rpc_pace_queued_bytes=256 * 2**10,
    )
    config = replace(make_config(tmp_path / "data"), limits=limits)
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        for start in range(0, CHANGES, 1000):
            events = [deposit(number) for number in range(start, start + 1000)]
            await client.call("submitEvents", "main", events)

        headers = {"Authorization": f"Bearer {daemon.credentials.desktop_token()}"}
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(ws_url(daemon), headers=headers) as ws,
        ):
            # A slow network: the system takes in little of what the daemon sends.
            ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2**16)
            callback = {"__isFunction": True, "functionId": "pages"}
            subscribe = {"id": 1, "method": "subscribeToChanges", "params": ["main", 0, callback]}
            await ws.send_bytes(orjson.dumps(subscribe))
            added: list[int] = []
            caught_up = False
            while not caught_up:
                message = await ws.receive(timeout=30)
                assert message.type == aiohttp.WSMsgType.TEXT, message
                frame = orjson.loads(message.data)
                if frame.get("functionId") == "pages":
                    page = frame["params"][0]
                    added += [c["seq"] for c in page["changes"] if c["entity"] == "transaction"]
                    caught_up = not page["hasMore"]
                await asyncio.sleep(0.1)

        # The price fetch the deposits set off may add the USD asset's change after them.
        assert added == list(range(1, CHANGES + 1))
        stats = await client.call("getServerStats")
        assert stats["slowConsumersClosed"] == 0
