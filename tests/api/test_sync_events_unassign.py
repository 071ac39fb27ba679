"""tagging.unassign refuses an item that does not exist, as tagging.assign does."""

import pytest

from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP, record_events, until


@pytest.mark.parametrize(
    ("record_id", "message"),
    [
        ("transaction:MANUAL_999", "Event #1 (u): Transaction MANUAL_999 does not exist"),
        ("auditLog:nope", "Event #1 (u): Audit log nope does not exist"),
        ("trade:nope", "Event #1 (u): Trade nope does not exist"),
    ],
)
async def test_unassigning_from_an_item_that_does_not_exist_is_refused(
    client: DaemonClient, record_id: str, message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    before = await client.call("getSnapshot", "main")
    event = {
        "eventId": "u",
        "type": "tagging.unassign",
        "recordId": record_id,
        "data": {"tagId": 1},
    }

    for _ in range(2):  # the error is not kept as the event's result
        [result] = await client.call("submitEvents", "main", [event])
        assert result == {
            "eventId": "u",
            "status": "error",
            "error": {"code": -32002, "message": message},
        }
    assert await client.call("getSnapshot", "main") == before


async def test_the_remove_method_still_ignores_an_item_that_does_not_exist(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTag", "main", "otc")
    before = await client.call("getSnapshot", "main")
    seen = await record_events(client)
    assert await client.call("removeTagFromTransaction", "main", "MANUAL_999", 1) is None
    assert await client.call("getSnapshot", "main") == before
    await client.call("addTransaction", SWAP, "main")  # events come in order: none before it
    await until(lambda: len(seen) >= 1)
    assert seen[0] == ("tx", "created")
