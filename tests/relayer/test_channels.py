"""Every subscription channel delivers its events, and is released when the client leaves."""

import asyncio

import pytest

from privatefolio_daemon.api.channels import ACCOUNT_SUBSCRIPTIONS, APP_SUBSCRIPTIONS
from privatefolio_daemon.app import Daemon
from tests.conftest import Connect


@pytest.mark.parametrize(
    ("method", "channel"), [(m, c) for m, (c, _) in ACCOUNT_SUBSCRIPTIONS.items()]
)
async def test_account_channel_delivers_and_is_released(
    connect: Connect, daemon: Daemon, method: str, channel: str
) -> None:
    client = await connect()
    await client.call("createAccount", "main")
    received: list[tuple[object, ...]] = []
    await client.call(method, "main", lambda *args: received.append(args))
    listeners = daemon.events.listener_count(channel, account="main")
    daemon.events.emit(channel, "created", 1512259200000, "group-1", account="main")
    daemon.events.emit(channel, "created", account="other")
    await client.call("ping")
    assert received == [("created", 1512259200000, "group-1")]
    await client.close()
    for _ in range(100):
        if daemon.events.listener_count(channel, account="main") < listeners:
            break
        await asyncio.sleep(0.01)
    assert daemon.events.listener_count(channel, account="main") == listeners - 1


@pytest.mark.parametrize(("method", "channel"), [(m, c) for m, (c, _) in APP_SUBSCRIPTIONS.items()])
async def test_app_channel_delivers_and_is_released(
    connect: Connect, daemon: Daemon, method: str, channel: str
) -> None:
    client = await connect()
    received: list[tuple[object, ...]] = []
    before = daemon.events.listener_count(channel)
    await client.call(method, lambda *args: received.append(args))
    daemon.events.emit(channel, {"x": 1})
    await client.call("ping")
    assert received == [({"x": 1},)]
    await client.close()
    for _ in range(100):
        if daemon.events.listener_count(channel) == before:
            break
        await asyncio.sleep(0.01)
    assert daemon.events.listener_count(channel) == before


async def test_subscribing_to_a_missing_account_fails(connect: Connect) -> None:
    client = await connect()
    with pytest.raises(Exception, match='Account "ghost" does not exist'):
        await client.call("subscribeToAuditLogs", "ghost", lambda *args: None)


async def test_server_log_lines_can_be_queried(connect: Connect, daemon: Daemon) -> None:
    client = await connect()
    notices: list[tuple[()]] = []
    await client.call("subscribeToServerLog", lambda: notices.append(()))
    await client.call("logUiError", "Chart failed to render", {"page": "networth"})
    rows, total = await client.call("getServerLogs", {"level": "error"})
    assert total == 1
    assert rows[0]["message"] == "Chart failed to render"
    assert rows[0]["categories"] == ["ui"]
    assert rows[0]["properties"] == {"page": "networth"}
    await client.call("ping")
    assert notices == [()]
    assert await client.call("queryServerLogs", {"search": "nothing like this"}) == [[], 0]
