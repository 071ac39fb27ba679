"""The assistant's chat history through the daemon: messages and conversation summaries as the
frontend reads them, saving, patching and deleting with their events, refused input that leaves
the table as it was, and the CSV export, exact and read back to the same messages."""

import asyncio
import csv
import io
import uuid
from datetime import datetime
from typing import Any

import orjson
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.test_exports import download

T = 1_704_164_645_006  # 2024-01-02T03:04:05.006Z

#: In the order they are saved. c3's two messages share a millisecond and "t2" is saved first,
#: so only the id can make "t1" the first message; c3 and c4 end at the same millisecond too.
MESSAGES: list[dict[str, Any]] = [
    {"id": "m1", "conversationId": "c1", "role": "user", "message": "Hello, world",
     "timestamp": T, "tokens": 3},
    {"id": "m2", "conversationId": "c1", "role": "assistant",
     "message": 'Hi! "Quoted", and\na second line', "timestamp": T + 1000, "tokens": 12,
     "metadata": '{"model":"small"}', "parts": '[{"type":"text","text":"Hi!"}]'},
    {"id": "s1", "conversationId": "c2", "role": "system", "message": "Be brief",
     "timestamp": T + 500},
    {"id": "t2", "conversationId": "c3", "role": "assistant", "message": "second of the same ms",
     "timestamp": T + 2000},
    {"id": "t1", "conversationId": "c3", "role": "user", "message": "first of the same ms",
     "timestamp": T + 2000},
    {"id": "u1", "conversationId": "c4", "role": "user", "message": "Ünïcode €",
     "timestamp": T + 2000, "metadata": "{}"},
]  # fmt: skip
BY_ID = {message["id"]: message for message in MESSAGES}


def ids(messages: list[dict[str, Any]]) -> list[str]:
    return [message["id"] for message in messages]


async def saved(client: DaemonClient) -> list[str]:
    await client.call("createAccount", "main")
    return await client.call("upsertChatMessages", "main", MESSAGES)


async def wait_for_events(events: list[Any], count: int) -> list[Any]:
    for _ in range(100):
        if len(events) >= count:
            break
        await asyncio.sleep(0.02)
    return events


async def stored_rows(daemon: Daemon) -> list[Any]:
    return await daemon.accounts.get("main").fetch_all("SELECT * FROM chat_history ORDER BY id")


async def test_messages_read_back_exactly_and_in_order(client: DaemonClient) -> None:
    assert await saved(client) == ["m1", "m2", "s1", "t2", "t1", "u1"]

    history = await client.call("getChatHistory", "main")
    assert ids(history) == ["u1", "t2", "t1", "m2", "s1", "m1"]
    assert history == [BY_ID[message_id] for message_id in ids(history)]
    assert await client.call("getChatMessage", "main", "s1") == {
        "id": "s1",
        "conversationId": "c2",
        "role": "system",
        "message": "Be brief",
        "timestamp": T + 500,
    }
    assert await client.call("getChatMessage", "main", "m2") == MESSAGES[1]
    assert await client.call("getChatMessage", "main", "missing") is None
    by_conversation = await client.call("getChatHistoryByConversation", "main", "c3")
    assert ids(by_conversation) == ["t1", "t2"]
    assert ids(await client.call("getChatHistoryByConversation", "main", "c1")) == ["m1", "m2"]
    assert await client.call("getChatHistoryByConversation", "main", "none") == []
    assert ids(await client.call("getRecentChatHistory", "main", 2)) == ["u1", "t2"]
    assert await client.call("getRecentChatHistory", "main") == history
    assert await client.call("countChatMessages", "main") == 6
    assert await client.call("getConversationIds", "main") == ["c1", "c2", "c3", "c4"]
    assert await client.call("getChatRoles", "main") == ["assistant", "system", "user"]


async def test_the_frontend_queries_the_chat_history_with_its_own_sql(
    client: DaemonClient,
) -> None:
    await saved(client)
    page = "SELECT * FROM chat_history WHERE role = ? ORDER BY timestamp DESC, id DESC LIMIT 2"
    assert await client.call("getChatHistory", "main", page, ["user"]) == [
        BY_ID["u1"],
        BY_ID["t1"],
    ]
    count = "SELECT COUNT(*) FROM chat_history WHERE role = ?"
    assert await client.call("countChatMessages", "main", count, ["user"]) == 3
    in_conversations = "SELECT DISTINCT role FROM chat_history WHERE conversationId = ?"
    assert await client.call("getChatRoles", "main", in_conversations, ["c2"]) == ["system"]
    recent = "SELECT conversationId FROM chat_history WHERE timestamp >= ? GROUP BY 1 ORDER BY 1"
    assert await client.call("getConversationIds", "main", recent, [T + 1000]) == [
        "c1",
        "c3",
        "c4",
    ]
    busy = "SELECT COUNT(DISTINCT conversationId) FROM chat_history WHERE role = ?"
    assert await client.call("countConversations", "main", busy, ["assistant"]) == 2


async def test_conversation_summaries_are_the_latest_first_and_deterministic(
    client: DaemonClient,
) -> None:
    await saved(client)
    summaries = await client.call("getConversationSummaries", "main")
    assert summaries == [
        {"id": "c4", "startTime": T + 2000, "lastTime": T + 2000, "firstMessage": "Ünïcode €"},
        {
            "id": "c3",
            "startTime": T + 2000,
            "lastTime": T + 2000,
            "firstMessage": "first of the same ms",
        },
        {"id": "c1", "startTime": T, "lastTime": T + 1000, "firstMessage": "Hello, world"},
        {"id": "c2", "startTime": T + 500, "lastTime": T + 500, "firstMessage": "Be brief"},
    ]
    assert await client.call("countConversations", "main") == 4
    query = (
        "SELECT conversationId, MIN(timestamp), MAX(timestamp), NULL FROM chat_history "
        "WHERE conversationId = ? GROUP BY conversationId"
    )
    assert await client.call("getConversationSummaries", "main", query, ["c1"]) == [
        {"id": "c1", "startTime": T, "lastTime": T + 1000, "firstMessage": None}
    ]


async def test_an_empty_chat_history(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await client.call("getChatHistory", "main") == []
    assert await client.call("getConversationSummaries", "main") == []
    assert await client.call("countConversations", "main") == 0
    assert await client.call("countChatMessages", "main") == 0
    assert await client.call("getConversationIds", "main") == []


async def test_the_recent_history_is_50_messages_unless_asked(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    many = [
        {"id": f"n{index:02d}", "conversationId": "c", "role": "user", "message": "x",
         "timestamp": T + index}
        for index in range(60)
    ]  # fmt: skip
    await client.call("upsertChatMessages", "main", many)
    recent = await client.call("getRecentChatHistory", "main")
    assert ids(recent) == [f"n{index:02d}" for index in range(59, 9, -1)]
    assert await client.call("getRecentChatHistory", "main", 0) == []
    with pytest.raises(RpcCallError) as caught:
        await client.call("getRecentChatHistory", "main", -1)
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Invalid params: 'limit' must be at least 0, not -1",
    )


@pytest.mark.parametrize(
    ("method", "query", "message"),
    [
        ("getChatHistory", "DELETE FROM chat_history", "Only reading queries are allowed"),
        (
            "getConversationSummaries",
            "UPDATE chat_history SET message = 'changed'",
            "Only reading queries are allowed",
        ),
        (
            "countConversations",
            "SELECT 1; DELETE FROM chat_history",
            "Only one statement is allowed",
        ),
        ("getConversationIds", "DROP TABLE chat_history", "Only reading queries are allowed"),
    ],
)
async def test_frontend_sql_cannot_change_the_chat_history(
    client: DaemonClient, daemon: Daemon, method: str, query: str, message: str
) -> None:
    await saved(client)
    before = await stored_rows(daemon)
    with pytest.raises(RpcCallError) as caught:
        await client.call(method, "main", query)
    assert (caught.value.code, caught.value.message) == (-32602, f"{message}: {query}")
    assert await stored_rows(daemon) == before
    assert len(before) == 6


async def test_saving_without_an_id_gives_a_uuid_and_saving_again_replaces(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    record = {"conversationId": "c9", "role": "user", "message": "no id", "timestamp": T}
    new_id = await client.call("upsertChatMessage", "main", record)
    assert uuid.UUID(new_id).version == 4 and str(uuid.UUID(new_id)) == new_id
    assert await client.call("getChatMessage", "main", new_id) == {"id": new_id, **record}
    first, given = await client.call("upsertChatMessages", "main", [record, MESSAGES[0]])
    assert uuid.UUID(first).version == 4 and first != new_id and given == "m1"

    replacement = {"id": "m1", "conversationId": "c1", "role": "user", "message": "again",
                   "timestamp": T + 7}  # fmt: skip
    assert await client.call("upsertChatMessage", "main", replacement) == "m1"
    assert await client.call("getChatMessage", "main", "m1") == replacement  # tokens gone too
    assert await client.call("countChatMessages", "main") == 3


GOOD = {"conversationId": "c1", "role": "user", "message": "fine", "timestamp": T}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"role": "bot"},
            "Invalid params: 'records'[1].role must be one of 'user', 'assistant', 'system'",
        ),
        ({"conversationId": ""}, "Chat message at index 1: conversationId must not be empty"),
        ({"conversationId": "  "}, "Chat message at index 1: conversationId must not be empty"),
        (
            {"conversationId": 5},
            "Invalid params: 'records'[1].conversationId must be a string, not a number",
        ),
        ({"message": None}, "Invalid params: 'records'[1].message must be a string, not null"),
        ({"message": ["a"]}, "Invalid params: 'records'[1].message must be a string, not an array"),
        (
            {"timestamp": "2024-01-02"},
            "Invalid params: 'records'[1].timestamp must be an integer, not a string",
        ),
        (
            {"timestamp": 1.5},
            "Invalid params: 'records'[1].timestamp must be an integer, not 1.5",
        ),
        (
            {"tokens": "3"},
            "Invalid params: 'records'[1].tokens must be an integer or null, not a string",
        ),
        (
            {"metadata": {"model": "x"}},
            "Invalid params: 'records'[1].metadata must be a string or null, not an object",
        ),
        (
            {"parts": [{"type": "text"}]},
            "Invalid params: 'records'[1].parts must be a string or null, not an array",
        ),
        ({"id": ""}, "Chat message at index 1: id must not be empty"),
        ({"id": 7}, "Invalid params: 'records'[1].id must be a string, not a number"),
    ],
)
async def test_a_batch_with_a_bad_record_saves_nothing(
    client: DaemonClient, daemon: Daemon, change: dict[str, Any], message: str
) -> None:
    await saved(client)
    events: list[Any] = []
    await client.call("subscribeToChatHistory", "main", lambda *args: events.append(args))
    before = await stored_rows(daemon)
    batch = [{**GOOD, "id": "new"}, {**GOOD, "id": "m1", **change}]
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertChatMessages", "main", batch)
    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert await stored_rows(daemon) == before
    await client.call("upsertChatMessage", "main", {**GOOD, "id": "sentinel"})
    assert await wait_for_events(events, 1) == [("created",)]


@pytest.mark.parametrize("missing", ["conversationId", "role", "message", "timestamp"])
async def test_a_record_needs_its_fields(
    client: DaemonClient, daemon: Daemon, missing: str
) -> None:
    await client.call("createAccount", "main")
    record = {name: value for name, value in GOOD.items() if name != missing}
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertChatMessage", "main", record)
    assert (caught.value.code, caught.value.message) == (
        -32602,
        f"Invalid params: 'record'.{missing} is required",
    )
    assert await stored_rows(daemon) == []


async def test_saving_patching_and_deleting_announce_themselves(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    events: list[Any] = []
    await client.call("subscribeToChatHistory", "main", lambda *args: events.append(args))

    await client.call("upsertChatMessages", "main", MESSAGES)
    await client.call("patchChatMessage", "main", "m2", {"message": "Edited", "tokens": None})
    await client.call("deleteChatMessage", "main", "missing")  # nothing deleted: no event
    await client.call("deleteChatHistoryByConversation", "main", "none")  # nor here
    await client.call("deleteChatMessage", "main", "m1")
    await client.call("deleteChatHistoryByConversation", "main", "c3")
    await client.call("upsertChatMessage", "main", {**GOOD, "id": "last"})

    await wait_for_events(events, 5)
    assert events == [("created",), ("created",), ("deleted",), ("deleted",), ("created",)]
    assert ids(await client.call("getChatHistory", "main")) == ["u1", "m2", "s1", "last"]
    assert await client.call("getConversationIds", "main") == ["c1", "c2", "c4"]


async def test_a_patch_is_merged_into_the_stored_message(client: DaemonClient) -> None:
    await saved(client)
    patch = {"message": "Edited, once", "tokens": None, "parts": "[]", "role": "system"}
    await client.call("patchChatMessage", "main", "m2", patch)
    assert await client.call("getChatMessage", "main", "m2") == {
        "id": "m2",
        "conversationId": "c1",
        "role": "system",
        "message": "Edited, once",
        "timestamp": T + 1000,
        "metadata": '{"model":"small"}',
        "parts": "[]",
    }
    await client.call("patchChatMessage", "main", "s1", {"conversationId": "c1", "tokens": 4})
    assert ids(await client.call("getChatHistoryByConversation", "main", "c1")) == [
        "m1",
        "s1",
        "m2",
    ]
    assert (await client.call("getChatMessage", "main", "s1"))["tokens"] == 4


@pytest.mark.parametrize(
    ("message_id", "patch", "code", "message"),
    [
        ("missing", {"message": "x"}, -32002, "Chat message with id missing not found"),
        (
            "m1",
            {},
            -32602,
            "The patch changes nothing: give conversationId, role, message, timestamp, tokens, "
            "metadata or parts",
        ),
        ("m1", {"conversationId": ""}, -32602, "conversationId must not be empty"),
        (
            "m1",
            {"role": "robot"},
            -32602,
            "Invalid params: 'patch'.role must be one of 'user', 'assistant', 'system'",
        ),
        (
            "m1",
            {"timestamp": None},
            -32602,
            "Invalid params: 'patch'.timestamp must be an integer, not null",
        ),
    ],
)
async def test_a_bad_patch_changes_nothing(
    client: DaemonClient,
    daemon: Daemon,
    message_id: str,
    patch: dict[str, Any],
    code: int,
    message: str,
) -> None:
    await saved(client)
    before = await stored_rows(daemon)
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchChatMessage", "main", message_id, patch)
    assert (caught.value.code, caught.value.message) == (code, message)
    assert await stored_rows(daemon) == before


CSV_HEADER = '"id","conversationId","role","message","timestamp","tokens","metadata","parts"'


async def test_the_chat_history_export_is_exact(client: DaemonClient, daemon: Daemon) -> None:
    await saved(client)
    record = await client.call("enqueueExportChatHistory", "main", "user")
    content = await download(daemon, record["id"])
    assert content.decode() == "\n".join(
        [
            CSV_HEADER,
            '"m1","c1","user","Hello\\, world","2024-01-02T03:04:05.006Z","3","",""',
            '"s1","c2","system","Be brief","2024-01-02T03:04:05.506Z","","",""',
            '"m2","c1","assistant","Hi! ""Quoted""\\, and\na second line",'
            '"2024-01-02T03:04:06.006Z","12","{""model"":""small""}",'
            '"[{""type"":""text""\\,""text"":""Hi!""}]"',
            '"t1","c3","user","first of the same ms","2024-01-02T03:04:07.006Z","","",""',
            '"t2","c3","assistant","second of the same ms","2024-01-02T03:04:07.006Z","","",""',
            '"u1","c4","user","Ünïcode €","2024-01-02T03:04:07.006Z","","{}",""',
        ]
    )
    assert {key: record[key] for key in ("name", "status", "createdBy", "progress")} == {
        "name": "main-chat-history.csv",
        "status": "completed",
        "createdBy": "system",
        "progress": 100,
    }
    assert record["description"] == "Export of all chat messages"
    assert record["metadata"]["type"] == "text/csv;charset=utf-8;"
    assert record["metadata"]["size"] == len(content)
    [task] = await client.call(
        "getServerTasks", "main", "SELECT * FROM server_tasks WHERE name LIKE 'Export%'"
    )
    assert (task["name"], task["priority"], task["status"]) == (
        "Export all chat history",
        3,
        "completed",
    )
    log = await client.call("getServerTaskLog", "main", task["id"])
    assert [orjson.loads(line[25:]) for line in log.splitlines()] == [
        [None, "Starting task"],
        [0, "Fetching all chat messages"],
        [25, "Transforming 6 chat messages to CSV"],
        [95],
        [100, "Exported 6 chat messages to main-chat-history.csv"],
    ]


async def test_an_empty_chat_history_exports_the_header_alone(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    record = await client.call("enqueueExportChatHistory", "main", "user")
    assert (await download(daemon, record["id"])).decode() == CSV_HEADER


def read_export(content: bytes) -> list[dict[str, Any]]:
    """The export read back by Python's csv module: a backslash escapes the next character,
    which undoes the format's ``\\,`` (the test messages hold no other backslash)."""
    rows = list(csv.reader(io.StringIO(content.decode(), newline=""), escapechar="\\"))
    header, *records = rows
    messages = []
    for values in records:
        message: dict[str, Any] = {
            name: value for name, value in zip(header, values, strict=True) if value != ""
        }
        moment = datetime.fromisoformat(message["timestamp"])
        message["timestamp"] = round(moment.timestamp() * 1000)
        if "tokens" in message:
            message["tokens"] = int(message["tokens"])
        messages.append(message)
    return messages


async def test_the_export_reads_back_as_the_same_messages(
    client: DaemonClient, daemon: Daemon
) -> None:
    await saved(client)
    generated = await client.call(
        "upsertChatMessage",
        "main",
        {"conversationId": "c5", "role": "assistant", "message": 'a, "b",\n\nc', "timestamp": 1},
    )
    record = await client.call("enqueueExportChatHistory", "main", "user")
    exported = read_export(await download(daemon, record["id"]))
    history = await client.call("getChatHistory", "main")
    assert exported == sorted(history, key=lambda message: (message["timestamp"], message["id"]))
    assert exported[0]["id"] == generated and len(exported) == 7
