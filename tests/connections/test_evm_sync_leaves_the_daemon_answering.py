"""An EVM wallet sync maps what the explorer listed on a thread, so the daemon answers
meanwhile (a wallet's thousands of transfers would otherwise hold every client)."""

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.sources.evm import wallet_source
from tests.conftest import http_url
from tests.connections.evm_scene import WalletScene, wallet_scene
from tests.connections.helpers import ACCOUNT, logs_of, sync
from tests.connections.test_exchange_sync_leaves_the_daemon_answering import HOLD_S, HeldStep


@pytest.fixture
def scene() -> Iterator[WalletScene]:
    with wallet_scene() as built:
        yield built


async def test_ping_is_answered_while_a_wallet_sync_maps_its_history(
    daemon: Daemon, client: DaemonClient, scene: WalletScene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene.make_first_history()
    step = HeldStep(wallet_source, "normal_history", monkeypatch)
    await client.call("upsertConnections", ACCOUNT, [scene.new_connection()])
    syncing = asyncio.create_task(sync(client, scene.connection_id))
    assert await asyncio.to_thread(step.reached.wait, HOLD_S)

    async with (
        aiohttp.ClientSession() as session,
        session.get(http_url(daemon, "/ping")) as response,
    ):
        assert await response.text() == "pong"
    step.released.set()

    assert (await syncing)["status"] == "completed"
    assert step.released_in_time == [True]
    assert len(await logs_of(client, scene.connection_id)) == 7
