"""An exchange sync picks and maps its trades on a thread, so the daemon answers meanwhile
(100,000 trades took 2 s to map on the event loop, and every client waited)."""

import asyncio
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import aiohttp
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.sources.exchanges import account_source, trade_history
from tests.conftest import http_url
from tests.connections.binance_scene import (
    CONNECTION_ID,
    BinanceScene,
    expected_logs,
    new_connection,
)
from tests.connections.helpers import ACCOUNT, log_summaries, logs_of, sync

#: How long the held step waits for the ping; it is only reached when the step holds the loop.
HOLD_S = 30


class HeldStep:
    """Holds the first call of ``module.name`` until ``release``, noting whether it came."""

    def __init__(self, module: ModuleType, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self.released_in_time: list[bool] = []
        step: Callable[..., Any] = getattr(module, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            if not self.reached.is_set():
                self.reached.set()
                self.released_in_time.append(self.released.wait(HOLD_S))
            return step(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    async def answered_meanwhile(self, daemon: Daemon, syncing: "asyncio.Task[Any]") -> Any:
        """Once the step is held, a ping is answered; then the step goes on, released in time
        (not by the wait running out, which holding the loop would come to); the sync's end."""
        assert await asyncio.to_thread(self.reached.wait, HOLD_S)
        async with (
            aiohttp.ClientSession() as session,
            session.get(http_url(daemon, "/ping")) as response,
        ):
            assert await response.text() == "pong"
        self.released.set()
        ended = await syncing
        assert self.released_in_time == [True]
        return ended


@pytest.mark.parametrize(
    ("module", "name"),
    [(trade_history, "_newer"), (account_source, "trade_records")],
    ids=["picking the trades after the cursor", "mapping trades to records"],
)
async def test_ping_is_answered_while_a_sync_works_through_its_trades(
    daemon: Daemon,
    client: DaemonClient,
    binance: BinanceScene,
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
) -> None:
    step = HeldStep(module, name, monkeypatch)
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    syncing = asyncio.create_task(sync(client, CONNECTION_ID))

    assert (await step.answered_meanwhile(daemon, syncing))["status"] == "completed"
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
