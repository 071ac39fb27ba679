"""A restore gives out nothing the account gave before: every record it brings back takes a
version above the account's, and a backup of another account brings its tags and manual
transactions under ids the account never gave (docs/sync.md, Versions)."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.manual_entries import SWAP
from tests.backup.helpers import download, restore_over_rpc, upload


async def backup_of(client: DaemonClient, daemon: Daemon, account: str) -> bytes:
    record = await client.call("enqueueBackup", account)
    return await download(daemon, account, record["id"])


async def restore(client: DaemonClient, daemon: Daemon, account: str, content: bytes) -> None:
    uploaded = await upload(client, daemon, account, content)
    assert await restore_over_rpc(client, account, uploaded) is None


async def submit(client: DaemonClient, account: str, **event: Any) -> dict[str, Any]:
    [result] = await client.call("submitEvents", account, [event])
    return dict(result)


def outcome(result: dict[str, Any], field: str) -> tuple[Any, ...]:
    return result["status"], result["error"]["code"], result["version"], result["record"].get(field)


async def test_a_backup_of_another_account_conflicts_with_an_edit_made_on_the_accounts_state(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "q")
    await submit(client, "q", eventId="q1", type="settings.patch", data={"label": "Q-state"})
    content = await backup_of(client, daemon, "q")
    await client.call("createAccount", "p")
    seen = await submit(client, "p", eventId="p1", type="settings.patch", data={"label": "P-state"})
    assert seen["version"] == 1
    await restore(client, daemon, "p", content)

    stale = await submit(
        client,
        "p",
        eventId="d1",
        type="settings.patch",
        version=1,
        data={"label": "P-state edited by D"},
    )
    assert outcome(stale, "label") == ("conflict", -32003, 2, "Q-state")


async def test_an_older_backup_conflicts_with_the_versions_given_since(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    patch = {"type": "transaction.patch", "recordId": "MANUAL_1"}
    backed = await submit(client, "main", eventId="a", **patch, data={"notes": "in the backup"})
    content = await backup_of(client, daemon, "main")
    since = await submit(client, "main", eventId="b", **patch, data={"notes": "seen since"})
    assert (backed["version"], since["version"]) == (2, 3)
    await restore(client, daemon, "main", content)

    for seen in (2, 3):
        offline = await submit(
            client, "main", eventId=f"phone-{seen}", **patch, version=seen, data={"notes": "x"}
        )
        assert outcome(offline, "notes") == ("conflict", -32003, 4, "in the backup")


async def test_a_record_the_backup_holds_unchanged_takes_a_version_above_the_accounts(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    content = await backup_of(client, daemon, "main")  # its settings at version 0
    seen = await submit(client, "main", eventId="a", type="settings.patch", data={"label": "x"})
    assert seen["version"] == 1
    await restore(client, daemon, "main", content)

    snapshot = await client.call("getSnapshot", "main")
    assert [(r["entity"], r["version"]) for r in snapshot["records"]] == [("settings", 2)]
    for version in (0, 1):
        offline = await submit(
            client,
            "main",
            eventId=f"phone-{version}",
            type="settings.patch",
            version=version,
            data={"label": "y"},
        )
        assert outcome(offline, "label") == ("conflict", -32003, 2, None)


async def tags_and_a_manual_transaction(client: DaemonClient, account: str, tag: str) -> None:
    await client.call("createAccount", account)
    await client.call("upsertTags", account, [tag])
    assert await client.call("addTransaction", SWAP, account) == "MANUAL_1"
    await client.call("assignTagToTransaction", account, "MANUAL_1", tag)
    await client.call("assignTagToAuditLog", account, "MANUAL_1_BUY", tag)


async def test_a_backup_of_another_account_moves_the_ids_the_account_gave(
    client: DaemonClient, daemon: Daemon
) -> None:
    await tags_and_a_manual_transaction(client, "other", "theirs")
    content = await backup_of(client, daemon, "other")
    await tags_and_a_manual_transaction(client, "main", "mine")
    await restore(client, daemon, "main", content)

    assert await client.call("getTags", "main") == [{"id": 2, "name": "theirs"}]
    [tx] = await client.call("getTransactions", "main")
    assert tx["id"] == "MANUAL_2"
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_2")
    assert sorted(log["id"] for log in logs) == ["MANUAL_2_BUY", "MANUAL_2_FEE", "MANUAL_2_SELL"]
    for getter, item in (("Transaction", "MANUAL_2"), ("AuditLog", "MANUAL_2_BUY")):
        tags = await client.call(f"getTagsFor{getter}", "main", item)
        assert tags == [{"id": 2, "name": "theirs"}]
    snapshot = await client.call("getSnapshot", "main")
    records = {(r["entity"], r["recordId"]): r["record"] for r in snapshot["records"]}
    assert records[("tag", "2")] == {"id": 2, "name": "theirs"}
    assert records[("transaction", "MANUAL_2")]["id"] == "MANUAL_2"
    assert records[("tagging", "transaction:MANUAL_2")] == {
        "kind": "transaction",
        "itemId": "MANUAL_2",
        "tagIds": [2],
    }
    assert records[("tagging", "auditLog:MANUAL_2_BUY")]["tagIds"] == [2]
    assert not {("tag", "1"), ("transaction", "MANUAL_1")} & records.keys()

    # A device that knew the account's tag 1 and MANUAL_1 edits nothing it did not know.
    renamed = await submit(
        client, "main", eventId="r", type="tag.rename", recordId="1", data={"name": "n"}
    )
    assert renamed["error"] == {"code": -32002, "message": "Event #1 (r): Tag 1 does not exist"}
    patched = await submit(
        client,
        "main",
        eventId="t",
        type="transaction.patch",
        recordId="MANUAL_1",
        data={"notes": "n"},
    )
    assert patched["error"] == {
        "code": -32002,
        "message": "Event #1 (t): Transaction MANUAL_1 does not exist",
    }
    [tag] = await client.call("upsertTags", "main", ["after"])
    assert tag == {"id": 3, "name": "after"}
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_3"


async def test_a_backup_of_another_account_keeps_the_ids_a_new_account_never_gave(
    client: DaemonClient, daemon: Daemon
) -> None:
    await tags_and_a_manual_transaction(client, "other", "theirs")
    content = await backup_of(client, daemon, "other")
    await client.call("createAccount", "new")
    await restore(client, daemon, "new", content)

    assert await client.call("getTags", "new") == [{"id": 1, "name": "theirs"}]
    assert [tx["id"] for tx in await client.call("getTransactions", "new")] == ["MANUAL_1"]
    tags = await client.call("getTagsForAuditLog", "new", "MANUAL_1_BUY")
    assert tags == [{"id": 1, "name": "theirs"}]


async def test_a_new_account_goes_on_with_the_line_of_the_backup_restored_into_it(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A new machine: the backup restored into a new account, then the same backup (or a newer
    one) again, keeps its ids, as it does in the account that made it."""
    await tags_and_a_manual_transaction(client, "other", "theirs")
    content = await backup_of(client, daemon, "other")
    await client.call("createAccount", "new")
    for _ in range(2):
        await restore(client, daemon, "new", content)
        assert await client.call("getTags", "new") == [{"id": 1, "name": "theirs"}]
        assert [tx["id"] for tx in await client.call("getTransactions", "new")] == ["MANUAL_1"]
