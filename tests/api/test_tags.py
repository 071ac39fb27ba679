"""Tags through the daemon: create, rename, delete, and tags on audit logs and transactions."""

from typing import Any

import pytest

from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP, until


async def test_tags_are_created_once_renamed_and_deleted(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    causes: list[Any] = []
    await client.call("subscribeToTags", "main", causes.append)
    assert await client.call("upsertTag", "main", "spam") == {"id": 1, "name": "spam"}
    assert await client.call("upsertTags", "main", ["otc", "spam", "tax 2024"]) == [
        {"id": 2, "name": "otc"},
        {"id": 1, "name": "spam"},
        {"id": 3, "name": "tax 2024"},
    ]
    await client.call("updateTag", "main", 2, "over the counter")
    await client.call("deleteTag", "main", 1)
    await until(lambda: len(causes) == 4)
    assert causes == ["created", "created", "updated", "deleted"]
    assert await client.call("getTags", "main") == [
        {"id": 2, "name": "over the counter"},
        {"id": 3, "name": "tax 2024"},
    ]
    assert await client.call("getTags", "main", "SELECT * FROM tags WHERE name LIKE 'tax%'") == [
        {"id": 3, "name": "tax 2024"}
    ]


async def test_the_spaces_around_a_tag_name_are_dropped(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    assert await client.call("upsertTags", "main", ["otc", " otc ", "tax 2024 "]) == [
        {"id": 1, "name": "otc"},
        {"id": 1, "name": "otc"},
        {"id": 2, "name": "tax 2024"},
    ]
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "  otc")
    await client.call("updateTag", "main", 2, " taxes ")
    assert await client.call("getTags", "main") == [
        {"id": 1, "name": "otc"},
        {"id": 2, "name": "taxes"},
    ]
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == [
        {"id": 1, "name": "otc"}
    ]


async def test_tag_errors_are_clear(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    cases = [
        (("updateTag", "main", 2, "a"), -32602, 'A tag named "a" already exists'),
        (("updateTag", "main", 9, "c"), -32002, "Tag 9 does not exist"),
        (("deleteTag", "main", 9), -32002, "Tag 9 does not exist"),
        (("upsertTag", "main", "  "), -32602, "A tag needs a name"),
        (("upsertTags", "main", ["c", " ", "d"]), -32602, "A tag needs a name (name 2 of 3)"),
        (("upsertTag", "main", "\u200b\u00a0"), -32602, "A tag needs a name"),
        (
            ("upsertTags", "main", ["c", "x" * 101]),
            -32602,
            "Tag name is too long: 101 characters (at most 100) (name 2 of 2)",
        ),
        (
            ("assignTagToTransaction", "main", "nope", "a"),
            -32002,
            "Transaction nope does not exist",
        ),
        (("assignTagToAuditLog", "main", "nope", "a"), -32002, "Audit log nope does not exist"),
        (("assignTagToTrade", "main", "nope", "a"), -32002, "Trade nope does not exist"),
    ]
    for call, code, message in cases:
        with pytest.raises(RpcCallError) as caught:
            await client.call(*call)
        assert (caught.value.code, caught.value.message) == (code, message)
    assert await client.call("getTags", "main") == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


async def test_assign_and_remove_on_records_with_their_events(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    seen: list[tuple[Any, ...]] = []
    await client.call("subscribeToTransactions", "main", lambda *a: seen.append(("tx", *a)))
    await client.call("subscribeToAuditLogs", "main", lambda *a: seen.append(("logs", *a)))
    await client.call("subscribeToTags", "main", lambda *a: seen.append(("tags", *a)))

    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")  # no duplicate
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_FEE", "fees")
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_FEE", "otc")
    await until(lambda: len(seen) >= 6)
    assert seen[:6] == [
        ("tags", "created"),
        ("tx", "updated", "MANUAL_1"),
        ("tx", "updated", "MANUAL_1"),
        ("tags", "created"),
        ("logs", "updated"),
        ("logs", "updated"),
    ]
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == [
        {"id": 1, "name": "otc"}
    ]
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_FEE") == [
        {"id": 1, "name": "otc"},
        {"id": 2, "name": "fees"},
    ]
    await client.call("removeTagFromAuditLog", "main", "MANUAL_1_FEE", 1)
    await client.call("removeTagFromTransaction", "main", "MANUAL_1", 1)
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_FEE") == [
        {"id": 2, "name": "fees"}
    ]
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == []
    assert await client.call("getTagsForTrade", "main", "any") == []


async def test_a_new_tag_never_takes_a_deleted_tags_id(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "old")
    await client.call("deleteTag", "main", 1)
    assert await client.call("upsertTag", "main", "new") == {"id": 2, "name": "new"}
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == []


async def test_a_name_typed_in_either_unicode_form_is_one_tag(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    tags = await client.call("upsertTags", "main", [composed, decomposed])
    assert tags[0] == tags[1]
    assert await client.call("getTags", "main") == [{"id": 1, "name": composed}]
