"""Chat-history methods of the assistant page: its messages, conversations and their summaries,
read with the frontend's own SQL or ours, and saved, patched and deleted. Every change is
announced on "chat-history" (``subscribeToChatHistory``); ``enqueueExportChatHistory`` lives
with the other exports."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import (
    FrontendTable,
    client_rows,
    map_rows,
    require_columns,
)
from privatefolio_daemon.domain.chat_history import ChatHistory, ChatMessageInput, ChatMessagePatch
from privatefolio_daemon.rpc.params import Count
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store import chat_history as store
from privatefolio_daemon.store.database import Database

_MESSAGES = FrontendTable(store.CHAT_HISTORY_DEFAULT_SQL, store.CHAT_HISTORY_COUNT_SQL)
_CONVERSATIONS = FrontendTable(store.CONVERSATION_SUMMARIES_SQL, store.CONVERSATIONS_COUNT_SQL)


class ChatHistoryApi:
    def __init__(
        self,
        chat_history_of: Callable[[str], ChatHistory],
        db_of: Callable[[str], Database],
        budget: float,
    ) -> None:
        self._chat_history_of = chat_history_of
        self._db_of = db_of
        self._budget = budget

    # -- reading ----------------------------------------------------------------------------------

    @rpc_method()
    async def getChatHistory(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Chat messages, the newest first (or those of a ``SELECT *`` query).

        Each is ``{id, conversationId, role, message, timestamp (ms), tokens?, metadata?,
        parts?}``, without the columns that are NULL.
        """
        rows = await _MESSAGES.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, store.chat_message_to_wire, query)

    @rpc_method()
    async def getChatMessage(self, accountName: str, id: str) -> dict[str, Any] | None:
        """The chat message with this id, or null."""
        return await self._db_of(accountName).read(lambda conn: store.chat_message(conn, id))

    @rpc_method()
    async def getChatHistoryByConversation(
        self, accountName: str, conversationId: str
    ) -> list[dict[str, Any]]:
        """A conversation's messages, the oldest first (by timestamp, then id)."""
        return await self._db_of(accountName).read(
            lambda conn: store.conversation_messages(conn, conversationId)
        )

    @rpc_method()
    async def getRecentChatHistory(
        self, accountName: str, limit: Count = 50
    ) -> list[dict[str, Any]]:
        """The latest ``limit`` chat messages (50 by default), the newest first."""
        return await self._db_of(accountName).read(lambda conn: store.recent_messages(conn, limit))

    @rpc_method()
    async def countChatMessages(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many chat messages (all, or a ``SELECT COUNT(*)`` query's count)."""
        return await _MESSAGES.count(self._db_of(accountName), query, params, self._budget)

    @rpc_method()
    async def getConversationIds(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """The distinct conversation ids, ascending (or a query's first column)."""
        return await self._first_column(accountName, query, params, store.CONVERSATION_IDS_SQL)

    @rpc_method()
    async def getChatRoles(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[str]:
        """The distinct roles of the chat messages, ascending (or a query's first column)."""
        return await self._first_column(accountName, query, params, store.CHAT_ROLES_SQL)

    @rpc_method()
    async def getConversationSummaries(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """One ``{id, startTime, lastTime, firstMessage}`` per conversation, the latest first.

        ``firstMessage`` is the text of the conversation's earliest message (by timestamp, then
        id). A query gives the rows instead, with those four columns in that order.
        """
        rows = await _CONVERSATIONS.rows(self._db_of(accountName), query, params, self._budget)
        summaries = require_columns(rows, ("id", "startTime", "lastTime", "firstMessage"))
        return await map_rows(summaries, store.summary_to_wire, query)

    @rpc_method()
    async def countConversations(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many conversations (all, or a ``SELECT COUNT(…)`` query's count)."""
        return await _CONVERSATIONS.count(self._db_of(accountName), query, params, self._budget)

    # -- writing ----------------------------------------------------------------------------------

    @rpc_method()
    async def upsertChatMessages(
        self, accountName: str, records: list[ChatMessageInput]
    ) -> list[str]:
        """Save chat messages (INSERT OR REPLACE by id, all or none); returns their ids.

        A record without ``id`` gets a random UUID; the ids come back in the records' order
        (Privatefolio returns nothing), so the caller learns the new ones.
        """
        return await self._chat_history_of(accountName).upsert(records)

    @rpc_method()
    async def upsertChatMessage(self, accountName: str, record: ChatMessageInput) -> str:
        """Save one chat message (INSERT OR REPLACE by id); returns its id (a new UUID if none)."""
        [message_id] = await self._chat_history_of(accountName).upsert([record])
        return message_id

    @rpc_method()
    async def patchChatMessage(self, accountName: str, id: str, patch: ChatMessagePatch) -> None:
        """Change fields of a chat message (null tokens, metadata or parts clears them)."""
        await self._chat_history_of(accountName).patch(id, patch)

    @rpc_method()
    async def deleteChatMessage(self, accountName: str, id: str) -> None:
        """Delete one chat message (an unknown id deletes nothing and announces nothing)."""
        await self._chat_history_of(accountName).delete(id)

    @rpc_method()
    async def deleteChatHistoryByConversation(self, accountName: str, conversationId: str) -> None:
        """Delete every message of a conversation."""
        await self._chat_history_of(accountName).delete_conversation(conversationId)

    async def _first_column(
        self, account: str, query: str | None, params: list[Any] | None, default_sql: str
    ) -> list[str]:
        rows = await client_rows(
            self._db_of(account),
            query,
            params,
            default_sql=default_sql,
            budget_seconds=self._budget,
        )
        return [row[0] for row in rows]
