"""The client forgets the Python callables the daemon can no longer call back."""

import asyncio

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError


async def test_a_subscription_keeps_its_function_until_unsubscribe(client: DaemonClient) -> None:
    heard: list[str] = []
    subscription = await client.call("subscribeToAccounts", lambda cause, name: heard.append(name))
    assert client.registered_functions == 1
    await client.call("createAccount", "main")
    for _ in range(100):
        if heard:
            break
        await asyncio.sleep(0.01)
    assert heard == ["main"]
    await client.call("unsubscribe", subscription)
    assert client.registered_functions == 0


async def test_a_refused_call_forgets_its_function(client: DaemonClient) -> None:
    with pytest.raises(RpcCallError, match='Account "nobody" does not exist'):
        await client.call("subscribeToAuditLogs", "nobody", lambda *_: None)
    assert client.registered_functions == 0


async def test_an_unsent_call_forgets_its_function(client: DaemonClient) -> None:
    await client.close()
    with pytest.raises(ConnectionError, match="The connection is closed"):
        await client.call("subscribeToAccounts", lambda *_: None)
    assert client.registered_functions == 0
