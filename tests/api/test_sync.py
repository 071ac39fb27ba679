"""Multi-device sync through the daemon: idempotent events, versions, the change feed."""

import asyncio
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import STOCK_BUY, SWAP, until
from tests.conftest import Connect

Page = dict[str, Any]


def add_swap(event_id: str) -> dict[str, Any]:
    return {"eventId": event_id, "type": "transaction.add", "data": SWAP}


async def feed(client: DaemonClient, after: int = 0) -> list[tuple[Any, ...]]:
    """``(seq, entity, recordId, deleted, eventId)`` of every change after ``after``."""
    page = await client.call("getChanges", "main", after)
    return [
        (c["seq"], c["entity"], c["recordId"], c["deleted"], c["eventId"]) for c in page["changes"]
    ]


async def test_an_offline_edit_applies_once_however_often_it_is_sent(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    [first] = await client.call("submitEvents", "main", [add_swap("phone-1")])
    assert first["status"] == "applied"
    assert (first["entity"], first["recordId"], first["version"]) == ("transaction", "MANUAL_1", 1)
    assert first["record"]["notes"] == "first, and only"
    assert first["record"]["incoming"] == "100"

    # The phone lost the answer and sends the same event again, twice in one batch.
    again = await client.call("submitEvents", "main", [add_swap("phone-1"), add_swap("phone-1")])
    assert again == [{**first, "duplicate": True}, {**first, "duplicate": True}]
    assert await client.call("countTransactions", "main") == 1
    assert await client.call("countAuditLogs", "main") == 3
    assert await feed(client) == [(1, "transaction", "MANUAL_1", False, "phone-1")]


async def test_a_stale_version_changes_nothing_and_returns_the_current_record(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("submitEvents", "main", [add_swap("a")])

    async def patch_notes(event_id: str, version: int, notes: str) -> dict[str, Any]:
        event = {"eventId": event_id, "type": "transaction.patch", "recordId": "MANUAL_1"}
        [result] = await client.call(
            "submitEvents", "main", [{**event, "version": version, "data": {"notes": notes}}]
        )
        return dict(result)

    updated = await patch_notes("b", 1, "laptop's note")
    assert (updated["status"], updated["version"]) == ("applied", 2)
    conflict = await patch_notes("c", 1, "phone's note")
    assert conflict["status"] == "conflict"
    assert conflict["version"] == 2
    assert conflict["record"]["notes"] == "laptop's note"
    assert conflict["error"] == {
        "code": -32003,
        "message": "Event #1 (c): The record is at version 2, not 1",
    }
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert tx["notes"] == "laptop's note"

    # The phone saw the conflict, and sends its edit again on top of version 2.
    resolved = await patch_notes("d", 2, "phone's note")
    assert (resolved["status"], resolved["version"], resolved["record"]["notes"]) == (
        "applied",
        3,
        "phone's note",
    )


async def test_stop_on_first_error_commits_the_prefix_and_skips_the_rest(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    batch = [
        {"eventId": "1", "type": "tag.create", "data": {"name": "otc"}},
        {"eventId": "2", "type": "tag.rename", "recordId": "9", "data": {"name": "x"}},
        {"eventId": "3", "type": "tag.create", "data": {"name": "tax"}},
    ]
    results = await client.call("submitEvents", "main", batch)
    assert [r["status"] for r in results] == ["applied", "error", "skipped"]
    assert results[1]["error"] == {"code": -32002, "message": "Event #2 (2): Tag 9 does not exist"}
    assert await client.call("getTags", "main") == [{"id": 1, "name": "otc"}]

    independent = await client.call("submitEvents", "main", batch[1:], {"mode": "independent"})
    assert [r["status"] for r in independent] == ["error", "applied"]
    assert await client.call("getTags", "main") == [
        {"id": 1, "name": "otc"},
        {"id": 2, "name": "tax"},
    ]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "tag.create"}, "Event #1: eventId must be a string of 1 to 200 characters"),
        (
            {"eventId": "e", "type": "tag.paint"},
            'Event #1 (e): the type "tag.paint" is unknown: expected one of transaction.add, '
            "transaction.update, transaction.patch, transaction.delete, asset.patch, "
            "tag.create, tag.rename, tag.delete, tagging.assign, tagging.unassign, "
            "settings.patch, value.set",
        ),
        (
            {"eventId": "e", "type": "tag.create", "version": -1, "data": {"name": "a"}},
            "Event #1 (e): version must be a whole number from 0 to 9223372036854775807",
        ),
        (
            {"eventId": "e", "type": "tag.rename", "recordId": "1", "version": 2e19},
            "Event #1 (e): version must be a whole number from 0 to 9223372036854775807",
        ),
        (
            {"eventId": "e", "type": "tag.rename", "recordId": "1", "version": 1e300},
            "Event #1 (e): version must be a whole number from 0 to 9223372036854775807",
        ),
        (
            {"eventId": "e", "type": "tag.create", "data": []},
            "Event #1 (e): data must be an object",
        ),
        (
            {"eventId": "e", "type": "tag.create", "data": {"name": 3}},
            "Event #1 (e): data.name must be a string, not a number",
        ),
        ({"eventId": "e", "type": "tag.delete"}, "Event #1 (e): This event needs a recordId"),
        (
            {"eventId": "e", "type": "transaction.delete", "recordId": "0xabc_TX"},
            "Event #1 (e): 0xabc_TX is not a manual transaction: only manual transactions are "
            "synced",
        ),
        (
            {
                "eventId": "e",
                "type": "asset.patch",
                "recordId": "stock:AAPL",
                "data": {"symbol": "X"},
            },
            "Event #1 (e): An asset patch cannot set symbol: expected coingeckoId, favorite, "
            "logoUrl, name, priceApiId",
        ),
        (
            {"eventId": "e", "type": "settings.patch", "data": {"networthRefreshInterval": 0}},
            "Event #1 (e): networthRefreshInterval must be a whole number of minutes above 0",
        ),
        (
            {"eventId": "e", "type": "transaction.add", "data": {**SWAP, "timestamp": -1}},
            "Event #1 (e): Timestamp -1 is before 1970",
        ),
        (
            {"eventId": "e", "type": "transaction.add", "data": {**SWAP, "wallet": 3}},
            "Event #1 (e): data.wallet must be a string, not a number",
        ),
        (
            {"eventId": "e", "type": "asset.patch", "recordId": "a", "data": {"favorite": "y"}},
            "Event #1 (e): data.favorite must be a boolean or null, not a string",
        ),
    ],
)
async def test_a_bad_event_gets_a_clear_error_and_changes_nothing(
    client: DaemonClient, event: dict[str, Any], message: str
) -> None:
    await client.call("createAccount", "main")
    before = await client.call("getSnapshot", "main")
    [result] = await client.call("submitEvents", "main", [event])
    assert result["status"] == "error"
    assert result["error"] == {"code": -32602, "message": message}
    assert await client.call("getSnapshot", "main") == before
    assert await feed(client) == []


async def test_the_address_book_is_synced_and_cursors_are_not(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    book = '{"0xabc": "cold wallet"}'
    await client.call("getSettings", "main")  # stores the defaults: not an edit
    await client.call("setValue", "main", "address_book", book)
    await client.call("setValue", "main", "my_cursor", 7)
    assert [entry[1:4] for entry in await feed(client)] == [("value", "address_book", False)]

    renamed = '{"0xabc": "hardware wallet"}'
    [result] = await client.call(
        "submitEvents",
        "main",
        [{"eventId": "p", "type": "value.set", "recordId": "address_book", "version": 1,
          "data": {"value": renamed}}],
    )  # fmt: skip
    assert (result["status"], result["record"]) == (
        "applied",
        {"key": "address_book", "value": renamed},
    )
    assert await client.call("getValue", "main", "address_book") == renamed
    snapshot = await client.call("getSnapshot", "main")
    assert [(r["entity"], r["recordId"], r["version"]) for r in snapshot["records"]] == [
        ("settings", "settings", 0),
        ("value", "address_book", 2),
    ]
    [refused] = await client.call(
        "submitEvents",
        "main",
        [{"eventId": "q", "type": "value.set", "recordId": "balancesCursor", "data": {"value": 0}}],
    )
    assert refused["error"]["message"] == (
        'Event #1 (q): "balancesCursor" is not a synced value: expected one of address_book, '
        "assistant_custom_api_url"
    )


async def test_a_patch_ignores_fields_a_transaction_does_not_have(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    patch = {"notes": "kept", "tags": ["otc"], "balance": "1"}  # a record sent back whole, say
    [added, patched] = await client.call(
        "submitEvents",
        "main",
        [
            add_swap("a"),
            {"eventId": "b", "type": "transaction.patch", "recordId": "MANUAL_1", "data": patch},
        ],
    )
    assert (patched["status"], patched["record"]["notes"]) == ("applied", "kept")
    assert patched["record"] == {**added["record"], "notes": "kept"}


async def test_a_batch_that_is_not_events_is_refused(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    cases = [
        (("submitEvents", "main", [], {"mode": "eventually"}), -32602),
        (("submitEvents", "main", [{"eventId": str(i)} for i in range(1001)]), -32602),
        (("getChanges", "main", -1), -32602),
        (("getChanges", "main", 0, 0), -32602),
    ]
    for call, code in cases:
        with pytest.raises(RpcCallError) as caught:
            await client.call(*call)
        assert caught.value.code == code
    with pytest.raises(RpcCallError) as caught:
        await client.call("submitEvents", "main", [{"eventId": str(i)} for i in range(1001)])
    assert caught.value.message == "At most 1000 events per call, not 1001: send them in parts"


async def test_edits_through_the_usual_methods_are_in_the_feed_too(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    tx, aapl, settings_record = (
        ("transaction", "MANUAL_1"),
        ("asset", "stock:AAPL"),
        ("settings",) * 2,
    )
    edits: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = [
        (("addTransaction", SWAP, "main"), (*tx, False)),
        (("patchTransaction", "main", "MANUAL_1", {"notes": "x"}), (*tx, False)),
        (("patchAsset", "main", "stock:AAPL", {"favorite": True}), (*aapl, False)),
        (("upsertTags", "main", ["otc"]), ("tag", "1", False)),
        (("upsertTags", "main", ["tax"]), ("tag", "2", False)),
        (("updateTag", "main", 2, "tax 2026"), ("tag", "2", False)),
        (("deleteTag", "main", 1), ("tag", "1", True)),
        (("updateSettings", "main", {"networthRefreshInterval": 30}), (*settings_record, False)),
        (("enqueueDeleteTransaction", "main", "user", "MANUAL_1"), (*tx, True)),
    ]
    for seq, (call, change) in enumerate(edits, 1):
        await client.call(*call)
        await _wait_for_feed(client, seq)
        assert [entry[1:4] for entry in await feed(client, seq - 1)] == [change]

    # Each record's latest change stays; the ones it replaced are gone.
    assert await feed(client) == [
        (3, "asset", "stock:AAPL", False, None),
        (6, "tag", "2", False, None),
        (7, "tag", "1", True, None),
        (8, "settings", "settings", False, None),
        (9, "transaction", "MANUAL_1", True, None),
    ]
    page = await client.call("getChanges", "main", 2, 2)
    assert [c["seq"] for c in page["changes"]] == [3, 6]
    assert (page["lastSeq"], page["hasMore"]) == (9, True)
    assert page["changes"][0]["record"] == {
        "id": "stock:AAPL",
        "symbol": "AAPL",
        "name": None,
        "logoUrl": None,
        "priceApiId": None,
        "coingeckoId": None,
        "favorite": True,
    }
    snapshot = await client.call("getSnapshot", "main")
    assert snapshot["lastSeq"] == 9
    assert [(r["entity"], r["recordId"], r["version"]) for r in snapshot["records"]] == [
        ("asset", "stock:AAPL", 3),
        ("tag", "2", 6),
        ("settings", "settings", 8),
    ]
    settings = snapshot["records"][-1]["record"]
    assert settings == await client.call("getSettings", "main")
    assert settings["networthRefreshInterval"] == 30


async def _wait_for_feed(client: DaemonClient, seq: int) -> None:
    for _ in range(500):
        if (await client.call("getChanges", "main", 0))["lastSeq"] >= seq:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the feed never reached seq {seq}")


async def test_the_snapshot_then_the_feed_rebuild_what_another_device_sees(
    connect: Connect,
) -> None:
    desktop, phone = await connect(), await connect()
    await desktop.call("createAccount", "main")
    await desktop.call("addTransaction", STOCK_BUY, "main")
    await desktop.call("upsertTags", "main", ["otc"])
    snapshot = await phone.call("getSnapshot", "main")
    state = {(r["entity"], r["recordId"]): r["record"] for r in snapshot["records"]}

    pages: list[Page] = []
    await phone.call("subscribeToChanges", "main", snapshot["lastSeq"], pages.append)
    await desktop.call(
        "submitEvents",
        "main",
        [
            add_swap("desktop-1"),
            {"eventId": "desktop-2", "type": "tag.rename", "recordId": "1", "data": {"name": "x"}},
            {"eventId": "desktop-3", "type": "transaction.delete", "recordId": "MANUAL_1"},
            {"eventId": "desktop-4", "type": "asset.patch", "recordId": "stock:AAPL",
             "data": {"priceApiId": "yahoo"}},
        ],
    )  # fmt: skip
    await until(lambda: sum(len(page["changes"]) for page in pages) == 4)
    for page in pages:
        for change in page["changes"]:
            key = (change["entity"], change["recordId"])
            if change["deleted"]:
                del state[key]
            else:
                state[key] = change["record"]

    latest = await desktop.call("getSnapshot", "main")
    assert state == {(r["entity"], r["recordId"]): r["record"] for r in latest["records"]}
    assert sorted(state) == [
        ("asset", "stock:AAPL"),
        ("settings", "settings"),
        ("tag", "1"),
        ("transaction", "MANUAL_2"),
    ]


async def test_following_replays_then_goes_live_without_gaps_or_repeats(
    connect: Connect,
) -> None:
    writer, reader = await connect(), await connect()
    await writer.call("createAccount", "main")
    await writer.call("upsertTags", "main", [f"old {i}" for i in range(30)])

    async def write_more() -> None:
        for i in range(40):
            await writer.call("upsertTags", "main", [f"new {i}"])

    pages: list[Page] = []
    writing = asyncio.create_task(write_more())
    await reader.call("subscribeToChanges", "main", 10, pages.append)
    await writing
    await until(lambda: sum(len(page["changes"]) for page in pages) >= 60)
    await asyncio.sleep(0.1)
    seqs = [change["seq"] for page in pages for change in page["changes"]]
    assert seqs == list(range(11, 71))
    assert {page["feedId"] for page in pages} == {pages[0]["feedId"]}


async def test_a_reset_account_starts_a_new_feed(connect: Connect) -> None:
    client = await connect()
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["a", "b"])
    old = await client.call("getChanges", "main", 0)
    pages: list[Page] = []
    await client.call("subscribeToChanges", "main", 2, pages.append)
    await client.call("resetAccount", "main")
    await until(lambda: any(page.get("reset") for page in pages))
    [reset] = [page for page in pages if page.get("reset")]
    assert reset["feedId"] != old["feedId"]
    assert reset["changes"] == []
    await client.call("upsertTags", "main", ["c"])
    await until(lambda: any(page["changes"] for page in pages))
    assert [c["record"] for page in pages for c in page["changes"]] == [{"id": 3, "name": "c"}]


async def test_connections_are_in_the_feed_without_their_secrets(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    secret = "s" * 64
    connection = {
        "extensionId": "binance-connection",
        "platformId": "ex.binance",
        "apiKey": "k" * 64,
        "apiSecret": secret,
    }
    [created] = await client.call("upsertConnections", "main", [connection])
    [added] = (await client.call("getChanges", "main", 0))["changes"]
    assert (added["entity"], added["recordId"], added["record"]) == (
        "connection",
        created["id"],
        created,
    )
    assert added["record"]["apiKey"] == "kkkk…kkkk"
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    await client.call(
        "enqueueDeleteConnection", "main", "user", created["id"], lambda *_: done.set_result(None)
    )
    await done
    page = await client.call("getChanges", "main", 0)
    assert [(c["entity"], c["recordId"], c["deleted"]) for c in page["changes"]] == [
        ("connection", created["id"], True),
    ]
    assert secret not in str(added) + str(page)


async def test_an_ended_subscription_hears_of_nothing_more(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    listeners = daemon.events.listener_count(account="main")
    pages: list[Page] = []
    subscription = await client.call("subscribeToChanges", "main", 0, pages.append)
    await client.call("upsertTags", "main", ["a"])
    await until(lambda: len(pages) == 1)
    await client.call("unsubscribe", subscription, False)
    assert daemon.events.listener_count(account="main") == listeners
    await client.call("upsertTags", "main", ["b"])
    await asyncio.sleep(0.2)
    assert [c["recordId"] for page in pages for c in page["changes"]] == ["1"]


async def test_the_tags_of_an_item_are_one_record_in_the_feed(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")  # already tagged
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_FEE", "fees")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "fees")
    assert await feed(client) == [
        (1, "transaction", "MANUAL_1", False, None),
        (2, "tag", "1", False, None),
        (4, "tag", "2", False, None),
        (5, "tagging", "auditLog:MANUAL_1_FEE", False, None),
        (6, "tagging", "transaction:MANUAL_1", False, None),
    ]
    changes = (await client.call("getChanges", "main", 4))["changes"]
    assert [c["record"] for c in changes] == [
        {"kind": "auditLog", "itemId": "MANUAL_1_FEE", "tagIds": [2]},
        {"kind": "transaction", "itemId": "MANUAL_1", "tagIds": [1, 2]},
    ]

    # A deleted tag's id stays on the items (ids are never reused); the client hides it.
    await client.call("deleteTag", "main", 1)
    await client.call("removeTagFromTransaction", "main", "MANUAL_1", 2)
    await client.call("removeTagFromTransaction", "main", "MANUAL_1", 2)  # no longer there
    tagging = await client.call("getChanges", "main", 7)
    assert [(c["seq"], c["recordId"], c["record"]) for c in tagging["changes"]] == [
        (8, "transaction:MANUAL_1", {"kind": "transaction", "itemId": "MANUAL_1", "tagIds": [1]})
    ]
    snapshot = await client.call("getSnapshot", "main")
    assert [
        (r["recordId"], r["version"], r["record"]["tagIds"])
        for r in snapshot["records"]
        if r["entity"] == "tagging"
    ] == [("auditLog:MANUAL_1_FEE", 5, [2]), ("transaction:MANUAL_1", 8, [1])]

    # Deleting the transaction untags it and its audit logs.
    await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_1")
    await _wait_for_feed(client, 11)
    assert await feed(client, 8) == [
        (9, "tagging", "auditLog:MANUAL_1_FEE", True, None),
        (10, "tagging", "transaction:MANUAL_1", True, None),
        (11, "transaction", "MANUAL_1", True, None),
    ]
    snapshot = await client.call("getSnapshot", "main")
    assert [r for r in snapshot["records"] if r["entity"] == "tagging"] == []


def tagging_event(event_id: str, kind: str, record_id: str, **fields: Any) -> dict[str, Any]:
    version = fields.pop("version", None)
    event = {"eventId": event_id, "type": f"tagging.{kind}", "recordId": record_id}
    return {**event, "data": fields} | ({} if version is None else {"version": version})


async def test_devices_tag_and_untag_with_events(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    heard: list[tuple[Any, ...]] = []
    await client.call("subscribeToTransactions", "main", lambda *a: heard.append(a))
    await client.call("subscribeToTags", "main", lambda *a: heard.append(("tags", *a)))
    item = "transaction:MANUAL_1"
    results = await client.call(
        "submitEvents",
        "main",
        [
            tagging_event("laptop-1", "assign", item, tagName="otc", version=0),
            tagging_event("laptop-2", "assign", item, tagName="tax", version=3),
            tagging_event("phone-1", "assign", item, tagName="mine", version=3),
        ],
        {"mode": "independent"},
    )
    assert [(r["status"], r.get("version")) for r in results] == [
        ("applied", 3),
        ("applied", 5),
        ("conflict", 5),
    ]
    assert results[1]["record"] == {"kind": "transaction", "itemId": "MANUAL_1", "tagIds": [1, 2]}
    assert results[2]["record"] == results[1]["record"]
    assert results[2]["error"] == {
        "code": -32003,
        "message": "Event #3 (phone-1): The record is at version 5, not 3",
    }
    await until(lambda: len(heard) == 4)
    assert heard == [
        ("tags", "created"),
        ("updated", "MANUAL_1"),
        ("tags", "created"),
        ("updated", "MANUAL_1"),
    ]

    [untagged] = await client.call(
        "submitEvents", "main", [tagging_event("phone-2", "unassign", item, tagId=1, version=5)]
    )
    assert (untagged["status"], untagged["version"], untagged["record"]["tagIds"]) == (
        "applied",
        6,
        [2],
    )
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == [
        {"id": 2, "name": "tax"}
    ]
    [last] = await client.call(
        "submitEvents", "main", [tagging_event("phone-3", "unassign", item, tagId=2)]
    )
    assert (last["status"], last["version"], last["record"]) == ("applied", 7, None)


@pytest.mark.parametrize(
    ("event", "code", "message"),
    [
        (
            tagging_event("e", "assign", "transaction:MANUAL_9", tagName="otc"),
            -32002,
            "Event #1 (e): Transaction MANUAL_9 does not exist",
        ),
        (
            tagging_event("e", "assign", "auditLog:nope", tagName="otc"),
            -32002,
            "Event #1 (e): Audit log nope does not exist",
        ),
        (
            tagging_event("e", "assign", "MANUAL_1", tagName="otc"),
            -32602,
            'Event #1 (e): A tagging recordId is "<kind>:<item id>", the kind one of auditLog, '
            'transaction or trade, not "MANUAL_1"',
        ),
        (
            tagging_event("e", "assign", "transaction:MANUAL_1", tagName=" "),
            -32602,
            "Event #1 (e): A tag needs a name",
        ),
        (
            tagging_event("e", "assign", "transaction:MANUAL_1", name="otc"),
            -32602,
            "Event #1 (e): data.tagName is required",
        ),
        (
            tagging_event("e", "unassign", "transaction:MANUAL_1", tagId="1"),
            -32602,
            "Event #1 (e): data.tagId must be an integer, not a string",
        ),
    ],
)
async def test_a_bad_tagging_event_is_refused_and_changes_nothing(
    client: DaemonClient, event: dict[str, Any], code: int, message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    before = await client.call("getSnapshot", "main")
    [result] = await client.call("submitEvents", "main", [event])
    assert (result["status"], result["error"]) == ("error", {"code": code, "message": message})
    assert await client.call("getSnapshot", "main") == before
    assert await client.call("getTags", "main") == []
