"""Renaming an account closes it, which would cut off its tasks: the rename is refused while a
task a user started, or the merge and spam passes that follow an import, is running, queued or
still to be queued; the account and its work carry on untouched."""

import asyncio

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP

BUSY = -32004


def refusal(unfinished: str) -> tuple[int, str]:
    return (
        BUSY,
        f'Account "main" cannot be renamed while {unfinished}; rename it once its tasks have '
        "ended, or cancel them.",
    )


async def rename_refused(client: DaemonClient) -> tuple[int, str]:
    with pytest.raises(RpcCallError) as refused:
        await client.call("renameAccount", "main", "savings")
    return refused.value.code, refused.value.message


async def test_a_running_task_holds_the_rename(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    ended: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    sleeping = await client.call("enqueueSleep", "main", 60, 1, False, ended.set_result)
    assert await rename_refused(client) == refusal('the task "Sleep" is running')
    queue = await client.call("getTaskQueue", "main")
    assert (await client.call("getAccountNames"), queue["running"]["id"]) == (["main"], sleeping)
    await client.call("cancelTask", "main", sleeping)
    await ended
    await client.call("renameAccount", "main", "savings")
    assert await client.call("getAccountNames") == ["savings"]


async def test_a_task_queued_while_the_rename_waits_to_close_the_account_is_refused(
    daemon: Daemon, client: DaemonClient
) -> None:
    """The rename found no task, then waits for its turn to close the account (held here, as
    another account's reset or restore would hold it): a task queued meanwhile is refused, not
    queued and then cancelled by the close."""
    await client.call("createAccount", "main")
    turn = daemon.accounts._lock
    async with turn:
        rename = asyncio.create_task(client.call("renameAccount", "main", "savings"))
        while not turn._waiters:  # noqa: ASYNC110 (the rename is past its check, at the lock)
            await asyncio.sleep(0.01)
        with pytest.raises(RpcCallError) as refused:
            await client.call("enqueueSleep", "main", 60)
    await rename
    assert (refused.value.code, refused.value.message) == (
        BUSY,
        'Account "main" is being renamed to "savings"; try again in a moment',
    )
    assert await client.call("getAccountNames") == ["savings"]
    assert (await client.call("getTaskQueue", "savings"))["queued"] == []


async def test_side_effects_not_yet_queued_hold_the_rename(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    assert await rename_refused(client) == refusal(
        "the updates that follow its last change have not started yet"
    )
    assert await client.call("getAccountNames") == ["main"]


async def test_an_idle_account_is_renamed_and_its_own_name_changes_nothing(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("renameAccount", "main", "main")
    assert await client.call("getAccountNames") == ["main"]
    await client.call("renameAccount", "main", "savings")
    assert await client.call("getAccountNames") == ["savings"]
