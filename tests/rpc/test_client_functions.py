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


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_callback_that_raises_is_logged_and_the_connection_carries_on(
    client: DaemonClient, caplog: pytest.LogCaptureFixture, asynchronous: bool
) -> None:
    heard: list[str] = []

    def boom(cause: str, name: str) -> None:
        heard.append(name)
        raise RuntimeError("boom")

    async def async_boom(cause: str, name: str) -> None:
        boom(cause, name)

    await client.call("subscribeToAccounts", async_boom if asynchronous else boom)
    await client.call("createAccount", "main")
    await client.call("createAccount", "second")
    for _ in range(100):
        if len(heard) == 2:
            break
        await asyncio.sleep(0.01)
    assert heard == ["main", "second"]
    assert await asyncio.wait_for(client.call("ping"), 5) == "pong"
    failures = [
        r for r in caplog.records if r.getMessage() == "A callback the daemon called failed"
    ]
    assert [str(r.exc_info[1]) for r in failures if r.exc_info] == ["boom", "boom"]


async def test_an_answered_call_forgets_its_progress_function(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    lines: list[object] = []
    await client.call("computeBalances", "main", None, lambda *line: lines.append(line))
    assert lines  # called back while the call ran
    assert client.registered_functions == 0


async def test_a_queued_task_forgets_its_on_completion_once_called(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    ended: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    await client.call("enqueueSleep", "main", 0.05, 0.05, False, ended.set_result)
    assert client.registered_functions == 1
    assert await asyncio.wait_for(ended, 10) is None
    assert client.registered_functions == 0


async def test_a_refused_unsubscribe_forgets_the_subscriptions_function(
    client: DaemonClient,
) -> None:
    """The account went, and its subscription with it: the daemon calls it back no more."""
    await client.call("createAccount", "main")
    subscription = await client.call("subscribeToAuditLogs", "main", lambda *_: None)
    await client.call("deleteAccount", "main")
    with pytest.raises(RpcCallError):
        await client.call("unsubscribe", subscription)
    assert client.registered_functions == 0


async def test_a_closed_connection_forgets_every_function(client: DaemonClient) -> None:
    await client.call("subscribeToAccounts", lambda *_: None)
    await client.close()
    assert client.registered_functions == 0
