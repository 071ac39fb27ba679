"""``executeSql`` and the sync feed: a statement that changes synced records logs their changes,
so other devices see them and an edit made on an older version conflicts."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP, until
from tests.backup.helpers import table_digests


async def changes_after(client: DaemonClient, seq: int) -> list[tuple[Any, ...]]:
    """``(entity, recordId, version, record, eventId)`` of each change after ``seq``."""
    page = await client.call("getChanges", "main", seq)
    return [
        (c["entity"], c["recordId"], c["version"], c["record"], c["eventId"])
        for c in page["changes"]
    ]


async def last_seq(client: DaemonClient) -> int:
    seq: int = (await client.call("getChanges", "main", 0))["lastSeq"]
    return seq


async def test_a_renamed_tag_gets_a_new_version_and_an_older_edit_conflicts(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["otc"])
    seen = await last_seq(client)
    await client.call("executeSql", "main", "UPDATE tags SET name = 'over the counter'")
    version = seen + 1
    assert await changes_after(client, seen) == [
        ("tag", "1", version, {"id": 1, "name": "over the counter"}, None)
    ]
    stale = {"eventId": "phone-1", "type": "tag.rename", "recordId": "1", "version": seen}
    [result] = await client.call("submitEvents", "main", [{**stale, "data": {"name": "otc 2"}}])
    assert (result["status"], result["record"]) == (
        "conflict",
        {"id": 1, "name": "over the counter"},
    )
    assert (
        result["error"]["message"]
        == f"Event #1 (phone-1): The record is at version {version}, not {seen}"
    )


async def test_a_deleted_manual_transaction_and_its_tagging_are_deleted_records(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("upsertTags", "main", ["otc"])
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    seen = await last_seq(client)
    await client.call("executeSql", "main", "DELETE FROM transactions WHERE id = 'MANUAL_1'")
    assert await changes_after(client, seen) == [
        ("transaction", "MANUAL_1", seen + 1, None, None),
        ("tagging", "transaction:MANUAL_1", seen + 2, None, None),
    ]
    assert await client.call("executeSql", "main", "SELECT * FROM transaction_tags") == []
    snapshot = await client.call("getSnapshot", "main")
    assert [r for r in snapshot["records"] if r["entity"] in ("transaction", "tagging")] == []


async def test_a_synced_value_written_with_sql_reaches_a_following_device(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    seen = await last_seq(client)
    pages: list[dict[str, Any]] = []
    await client.call("subscribeToChanges", "main", seen, pages.append)
    url = "http://127.0.0.1:11434/v1"
    insert = "INSERT INTO key_value (key, value) VALUES ('assistant_custom_api_url', ?)"
    await client.call("executeSql", "main", insert, [url])
    await until(lambda: any(page["changes"] for page in pages))
    [change] = [change for page in pages for change in page["changes"]]
    assert (change["entity"], change["recordId"], change["record"]) == (
        "value",
        "assistant_custom_api_url",
        {"key": "assistant_custom_api_url", "value": url},
    )


async def test_settings_written_with_sql_are_logged_merged_over_the_defaults(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    defaults = await client.call("getSettings", "main")
    seen = await last_seq(client)
    write = "INSERT OR REPLACE INTO key_value (key, value) VALUES ('settings', ?)"
    await client.call("executeSql", "main", write, ['{"tradeLimit": 7}'])
    [(entity, record_id, _, record, _)] = await changes_after(client, seen)
    assert (entity, record_id, record) == ("settings", "settings", {**defaults, "tradeLimit": 7})


async def test_a_value_set_value_would_refuse_is_refused_and_nothing_changes(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    before = table_digests(daemon.accounts.db_path("main"))
    write = "INSERT INTO key_value (key, value) VALUES ('address_book', 'cold wallet')"
    with pytest.raises(RpcCallError) as caught:
        await client.call("executeSql", "main", write)
    assert caught.value.message == (
        'The address book must be a JSON object of labels by address, e.g. {"0xabc": '
        '"Cold wallet"}, not "cold wallet"'
    )
    assert table_digests(daemon.accounts.db_path("main")) == before


async def test_rows_that_are_not_synced_leave_the_feed_as_it_was(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    seen = await last_seq(client)
    await client.call("executeSql", "main", "UPDATE audit_logs SET wallet = 'Cold'")
    await client.call(
        "executeSql",
        "main",
        "INSERT INTO key_value (key, value) VALUES ('some_cursor', '5')",
    )
    await client.call("executeSql", "main", "UPDATE transactions SET notes = notes")
    assert await changes_after(client, seen) == []
