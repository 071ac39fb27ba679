"""Calls of submitEvents sent one after another on a connection are applied in the order sent,
with or without ``options.feedId``: the later edit wins under last-writer-wins."""

import asyncio
import contextlib
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.held_reads import hold_a_reader


@pytest.mark.parametrize("with_feed_id", [True, False])
async def test_calls_apply_in_the_order_sent(
    daemon: Daemon, client: DaemonClient, with_feed_id: bool
) -> None:
    await client.call("createAccount", "main")
    feed_id = (await client.call("getSnapshot", "main"))["feedId"]
    options = {"feedId": feed_id} if with_feed_id else {}
    db = daemon.accounts.get("main")
    first_read, first_release = await hold_a_reader(db)
    second_read, second_release = await hold_a_reader(db)
    # The first read gives up, but its reader goes on with it: the reader is idle again, and
    # still busy. A call that reads there waits, and one after it, on the other reader, does not.
    first_read.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first_read
    second_release.set()
    await second_read

    def patch(event_id: str, value: str) -> Any:
        event = {"eventId": event_id, "type": "settings.patch", "data": {"note": value}}
        return asyncio.ensure_future(client.call("submitEvents", "main", [event], options))

    try:
        first, second = patch("e1", "first"), patch("e2", "second")
        [second_result] = await second
    finally:
        first_release.set()
    [first_result] = await first

    assert [first_result["status"], second_result["status"]] == ["applied", "applied"]
    assert second_result["version"] == first_result["version"] + 1
    assert (await client.call("getSettings", "main"))["note"] == "second"
    changes = (await client.call("getChanges", "main"))["changes"]
    assert [(c["eventId"], c["record"]["note"]) for c in changes] == [("e2", "second")]
