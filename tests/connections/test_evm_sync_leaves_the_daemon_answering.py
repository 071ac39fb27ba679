"""An EVM wallet sync maps what the explorer listed on a thread, so the daemon answers
meanwhile (a wallet's thousands of transfers would otherwise hold every client)."""

import asyncio
from collections.abc import Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.sources.evm import wallet_source
from tests.connections.evm_scene import WalletScene, wallet_scene
from tests.connections.helpers import ACCOUNT, logs_of, sync
from tests.connections.test_exchange_sync_leaves_the_daemon_answering import HeldStep


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

    assert (await step.answered_meanwhile(daemon, syncing))["status"] == "completed"
    assert len(await logs_of(client, scene.connection_id)) == 7
