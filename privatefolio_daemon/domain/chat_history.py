"""Writing the assistant's chat history: messages saved, patched and deleted, each change
announced on the account's "chat-history" channel.

The shapes (a role of user, assistant or system; an integer timestamp in ms; strings for the
message, metadata and parts) are the ``ChatMessageInput`` and ``ChatMessagePatch`` types, which the
method table checks before a call reaches this module; here are the rules types cannot say.
"""

import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict

from privatefolio_daemon.domain.errors import InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.store import chat_history as store
from privatefolio_daemon.store.database import Database

ChatRole = Literal["user", "assistant", "system"]


class ChatMessageInput(TypedDict):
    """A message to save; without an ``id`` it gets a random UUID. A null ``tokens``,
    ``metadata`` or ``parts`` is the same as none."""

    id: NotRequired[str]
    conversationId: str
    role: ChatRole
    message: str
    timestamp: int
    tokens: NotRequired[int | None]
    metadata: NotRequired[str | None]
    parts: NotRequired[str | None]


class ChatMessagePatch(TypedDict, total=False):
    """The fields to change; a null ``tokens``, ``metadata`` or ``parts`` clears it."""

    conversationId: str
    role: ChatRole
    message: str
    timestamp: int
    tokens: int | None
    metadata: str | None
    parts: str | None


_PATCHABLE = tuple(name for name in store.CHAT_COLUMNS if name != "id")


class ChatHistory:
    def __init__(self, account: str, db: Database, events: EventBus) -> None:
        self.account = account
        self._db = db
        self._events = events

    async def upsert(self, records: Sequence[ChatMessageInput]) -> list[str]:
        """Save the messages in one transaction (INSERT OR REPLACE by id): all or none.
        Returns their ids, in order, generated ones included."""
        messages = [_checked(dict(record), index) for index, record in enumerate(records)]
        if not messages:
            return []
        await self._db.transaction(lambda conn: store.upsert_chat_messages(conn, messages))
        self._announce("created")
        return [message["id"] for message in messages]

    async def patch(self, message_id: str, patch: ChatMessagePatch) -> None:
        """Merge ``patch`` into the stored message. Announced as "created", the cause of
        Privatefolio's patch (an upsert of the merged message)."""
        fields: dict[str, Any] = {
            name: value for name, value in patch.items() if name in _PATCHABLE
        }
        if not fields:
            raise InvalidInputError(
                "The patch changes nothing: give conversationId, role, message, timestamp, "
                "tokens, metadata or parts"
            )
        conversation = patch.get("conversationId")
        if conversation is not None and not conversation.strip():
            raise InvalidInputError("conversationId must not be empty")

        def merge(connection: sqlite3.Connection) -> None:
            stored = store.chat_message(connection, message_id)
            if stored is None:
                raise NotFoundError(f"Chat message with id {message_id} not found")
            store.upsert_chat_messages(connection, [{**stored, **fields}])

        await self._db.transaction(merge)
        self._announce("created")

    async def delete(self, message_id: str) -> bool:
        """Delete one message; False (and nothing announced) when there was none."""
        deleted = await self._db.write(lambda conn: store.delete_chat_message(conn, message_id))
        if deleted:
            self._announce("deleted")
        return bool(deleted)

    async def delete_conversation(self, conversation_id: str) -> int:
        """Delete the conversation's messages; returns how many (announced only when some)."""
        deleted = await self._db.write(
            lambda conn: store.delete_conversation(conn, conversation_id)
        )
        if deleted:
            self._announce("deleted")
        return deleted

    def _announce(self, cause: str) -> None:
        self._events.emit("chat-history", cause, account=self.account)


def _checked(record: dict[str, Any], index: int) -> dict[str, Any]:
    if "id" not in record:
        record["id"] = str(uuid.uuid4())
    elif not record["id"].strip():
        raise InvalidInputError(f"Chat message at index {index}: id must not be empty")
    if not record["conversationId"].strip():
        raise InvalidInputError(f"Chat message at index {index}: conversationId must not be empty")
    return record
