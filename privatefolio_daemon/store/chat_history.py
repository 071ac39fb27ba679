"""SQL of an account's assistant chat history, and its rows on the wire:
``{id, conversationId, role, message, timestamp (ms), tokens?, metadata?, parts?}`` with NULL
columns left out. ``metadata`` and ``parts`` are strings, stored as the frontend gives them."""

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CHAT_COLUMNS = (
    "id",
    "conversationId",
    "role",
    "message",
    "timestamp",
    "tokens",
    "metadata",
    "parts",
)

CHAT_HISTORY_DEFAULT_SQL = "SELECT * FROM chat_history ORDER BY timestamp DESC, id DESC"
CHAT_HISTORY_COUNT_SQL = "SELECT COUNT(*) FROM chat_history"
CONVERSATION_IDS_SQL = "SELECT DISTINCT conversationId FROM chat_history ORDER BY conversationId"
CHAT_ROLES_SQL = "SELECT DISTINCT role FROM chat_history ORDER BY role"
CONVERSATIONS_COUNT_SQL = "SELECT COUNT(DISTINCT conversationId) FROM chat_history"
#: One row per conversation, ``(id, startTime, lastTime, firstMessage)``, the latest first (the
#: greater id first among equals). The first message is the earliest by (timestamp, id), so two
#: messages of the same millisecond give the same answer every time.
CONVERSATION_SUMMARIES_SQL = """
SELECT c.conversationId AS id,
       MIN(c.timestamp) AS startTime,
       MAX(c.timestamp) AS lastTime,
       (SELECT f.message FROM chat_history f
         WHERE f.conversationId = c.conversationId
         ORDER BY f.timestamp, f.id LIMIT 1) AS firstMessage
  FROM chat_history c
 GROUP BY c.conversationId
 ORDER BY lastTime DESC, id DESC
""".strip()
#: The export's order: the oldest first.
CHAT_HISTORY_ORDER = "ORDER BY timestamp, id"

_UPSERT_SQL = (
    "INSERT OR REPLACE INTO chat_history "
    f"({', '.join(CHAT_COLUMNS)}) VALUES ({', '.join('?' for _ in CHAT_COLUMNS)})"
)


def chat_message_to_wire(row: Sequence[Any]) -> dict[str, Any]:
    return {
        name: value for name, value in zip(CHAT_COLUMNS, row, strict=False) if value is not None
    }


def summary_to_wire(row: Sequence[Any]) -> dict[str, Any]:
    identifier, start, last, first = row[:4]
    return {"id": identifier, "startTime": start, "lastTime": last, "firstMessage": first}


def upsert_chat_messages(
    connection: sqlite3.Connection, messages: Iterable[Mapping[str, Any]]
) -> None:
    """INSERT OR REPLACE each message (a wire record with its ``id``)."""
    connection.executemany(
        _UPSERT_SQL, ([message.get(name) for name in CHAT_COLUMNS] for message in messages)
    )


def chat_message(connection: sqlite3.Connection, message_id: str) -> dict[str, Any] | None:
    row = connection.execute("SELECT * FROM chat_history WHERE id = ?", (message_id,)).fetchone()
    return None if row is None else chat_message_to_wire(row)


def conversation_messages(
    connection: sqlite3.Connection, conversation_id: str
) -> list[dict[str, Any]]:
    """The conversation's messages, the oldest first."""
    rows = connection.execute(
        f"SELECT * FROM chat_history WHERE conversationId = ? {CHAT_HISTORY_ORDER}",
        (conversation_id,),
    ).fetchall()
    return [chat_message_to_wire(row) for row in rows]


def recent_messages(connection: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` messages, the newest first."""
    rows = connection.execute(f"{CHAT_HISTORY_DEFAULT_SQL} LIMIT ?", (limit,)).fetchall()
    return [chat_message_to_wire(row) for row in rows]


def delete_chat_message(connection: sqlite3.Connection, message_id: str) -> int:
    return connection.execute("DELETE FROM chat_history WHERE id = ?", (message_id,)).rowcount


def delete_conversation(connection: sqlite3.Connection, conversation_id: str) -> int:
    return connection.execute(
        "DELETE FROM chat_history WHERE conversationId = ?", (conversation_id,)
    ).rowcount
