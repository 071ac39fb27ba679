"""Removing a connection is followed by "Compact database" when its data freed enough of the
file; a reset is not, as its data comes back with the next sync."""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.settings import Limits
from tests.api.importing import wait_for_task
from tests.conftest import make_config, offline_daemon
from tests.connections.binance_scene import (
    CONNECTION_ID,
    BinanceScene,
    new_connection,
)
from tests.connections.helpers import ACCOUNT, sync

COMPACT = "Compact database"


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """A daemon for which any removal frees enough to compact."""
    limits = Limits(compact_min_free_bytes=0, compact_min_free_fraction=0.0)
    instance = offline_daemon(replace(make_config(tmp_path / "data"), limits=limits))
    await instance.start()
    try:
        yield instance
    finally:
        await instance.stop()


async def compactions(client: DaemonClient) -> list[dict[str, Any]]:
    tasks = await client.call("getServerTasks", ACCOUNT)
    return [task for task in tasks if task["name"] == COMPACT]


async def test_a_removal_compacts_and_a_reset_does_not(
    client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    reset = await client.call("enqueueResetConnection", ACCOUNT, "user", CONNECTION_ID)
    assert (await wait_for_task(client, reset))["status"] == "completed"

    assert await compactions(client) == []

    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    removal = await client.call("enqueueDeleteConnection", ACCOUNT, "user", CONNECTION_ID)
    assert (await wait_for_task(client, removal))["status"] == "completed"
    [compaction] = await compactions(client)
    compacted = await wait_for_task(client, compaction["id"], ACCOUNT)
    assert (compacted["status"], compacted["trigger"]) == ("completed", "side-effect")
