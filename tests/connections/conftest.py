"""Every connection test runs against the account ``main`` of a fresh daemon; ``binance`` points
the daemon's Binance syncs at the fake Binance API."""

from collections.abc import Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.connections.binance_scene import BinanceScene, binance_standin
from tests.connections.helpers import ACCOUNT
from tests.standins.background_server import serve_in_thread


@pytest.fixture(autouse=True)
async def main_account(client: DaemonClient) -> None:
    await client.call("createAccount", ACCOUNT)


@pytest.fixture
def binance(daemon: Daemon) -> Iterator[BinanceScene]:
    standin = binance_standin()
    with serve_in_thread(standin.app()) as url:
        scene = BinanceScene(standin, url)
        scene.point(daemon)
        yield scene
