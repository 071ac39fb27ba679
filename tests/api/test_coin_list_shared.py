"""Accounts share the coin list: a task that waited while another account's task downloaded it
uses that download, and sends no second request."""

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import wait_for_task
from tests.standins.background_server import serve_in_thread

COINS = [{"id": "decentraland", "symbol": "mana", "name": "Decentraland", "platforms": {}}]


class HeldCoinList:
    """Answers the coin list once ``release`` is set, counting the requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.release = threading.Event()
        self.app = web.Application()
        self.app.router.add_get("/coins/list", self.coins)

    async def coins(self, request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.to_thread(self.release.wait, 30)
        return web.json_response(COINS)


@pytest.fixture
def held_coin_list() -> Iterator[tuple[HeldCoinList, str]]:
    stand_in = HeldCoinList()
    with serve_in_thread(stand_in.app) as url:
        yield stand_in, f"{url}/coins/list"
        stand_in.release.set()


async def until(check: object) -> None:
    assert callable(check)
    for _ in range(3000):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never")


def last_message(daemon: Daemon, account: str, task_id: int) -> str:
    log = daemon.accounts.logs_dir(account) / f"server_task_{task_id}.log"
    return log.read_text().splitlines()[-1][25:]


async def test_a_download_that_ended_while_a_task_waited_is_used_by_it(
    client: DaemonClient, daemon: Daemon, held_coin_list: tuple[HeldCoinList, str]
) -> None:
    stand_in, url = held_coin_list
    await client.call("createAccount", "first")
    await client.call("createAccount", "second")
    await client.call("updateServerSettings", {"coinListUrl": url})
    downloading = await client.call("enqueueRefetchAssets", "first", "user")

    async def requested() -> bool:
        return stand_in.requests == 1

    await until(requested)
    waiting = await client.call("enqueueRefetchAssets", "second", "user")

    async def second_started() -> bool:
        task = await client.call("getServerTask", "second", waiting)
        return bool(task["status"] == "running")

    await until(second_started)
    stand_in.release.set()
    first = await wait_for_task(client, downloading, "first")
    second = await wait_for_task(client, waiting, "second")
    assert (first["status"], second["status"]) == ("completed", "completed")
    assert last_message(daemon, "second", waiting) == (
        '[100,"The coin list was just downloaded (1 coins)"]'
    )
    assert stand_in.requests == 1
