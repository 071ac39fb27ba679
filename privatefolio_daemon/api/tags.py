"""Tag methods: list, create, rename, delete, and tags on audit logs, transactions and trades."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import client_rows, map_rows, require_columns
from privatefolio_daemon.domain.tags import Tags
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.tags import tag_to_wire


class TagsApi:
    def __init__(
        self, tags_of: Callable[[str], Tags], db_of: Callable[[str], Database], budget: float
    ) -> None:
        self._tags_of = tags_of
        self._db_of = db_of
        self._budget = budget

    @rpc_method()
    async def getTags(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """All tags by id (or the rows of a frontend query: 0 id, 1 name)."""
        rows = await client_rows(
            self._db_of(accountName),
            query,
            params,
            default_sql="SELECT id, name FROM tags ORDER BY id ASC",
            budget_seconds=self._budget,
        )
        return await map_rows(require_columns(rows, ("id", "name")), tag_to_wire, query)

    @rpc_method()
    async def upsertTag(self, accountName: str, name: str) -> dict[str, Any]:
        """The tag with this name, created if needed."""
        [tag] = await self._tags_of(accountName).upsert([name])
        return tag

    @rpc_method()
    async def upsertTags(self, accountName: str, names: list[str]) -> list[dict[str, Any]]:
        """The tags with these names, created as needed."""
        return await self._tags_of(accountName).upsert(names)

    @rpc_method()
    async def updateTag(self, accountName: str, id: int, name: str) -> None:
        """Rename a tag."""
        await self._tags_of(accountName).rename(id, name)

    @rpc_method()
    async def deleteTag(self, accountName: str, id: int) -> None:
        """Delete a tag (the records it was on keep their other tags)."""
        await self._tags_of(accountName).delete(id)

    @rpc_method()
    async def assignTagToAuditLog(self, accountName: str, auditLogId: str, tagName: str) -> None:
        """Tag an audit log, creating the tag by name if needed."""
        await self._tags_of(accountName).assign("auditLog", auditLogId, tagName)

    @rpc_method()
    async def assignTagToTransaction(
        self, accountName: str, transactionId: str, tagName: str
    ) -> None:
        """Tag a transaction, creating the tag by name if needed; "spam" goes on its audit logs
        too."""
        await self._tags_of(accountName).assign("transaction", transactionId, tagName)

    @rpc_method()
    async def assignTagToTrade(self, accountName: str, tradeId: str, tagName: str) -> None:
        """Tag a trade, creating the tag by name if needed."""
        await self._tags_of(accountName).assign("trade", tradeId, tagName)

    @rpc_method()
    async def removeTagFromAuditLog(self, accountName: str, auditLogId: str, tagId: int) -> None:
        """Untag an audit log."""
        await self._tags_of(accountName).remove("auditLog", auditLogId, tagId)

    @rpc_method()
    async def removeTagFromTransaction(
        self, accountName: str, transactionId: str, tagId: int
    ) -> None:
        """Untag a transaction; "spam" comes off its audit logs too."""
        await self._tags_of(accountName).remove("transaction", transactionId, tagId)

    @rpc_method()
    async def removeTagFromTrade(self, accountName: str, tradeId: str, tagId: int) -> None:
        """Untag a trade."""
        await self._tags_of(accountName).remove("trade", tradeId, tagId)

    @rpc_method()
    async def getTagsForAuditLog(self, accountName: str, auditLogId: str) -> list[dict[str, Any]]:
        """The tags of an audit log, by id."""
        return await self._tags_of(accountName).of_item("auditLog", auditLogId)

    @rpc_method()
    async def getTagsForTransaction(
        self, accountName: str, transactionId: str
    ) -> list[dict[str, Any]]:
        """The tags of a transaction, by id."""
        return await self._tags_of(accountName).of_item("transaction", transactionId)

    @rpc_method()
    async def getTagsForTrade(self, accountName: str, tradeId: str) -> list[dict[str, Any]]:
        """The tags of a trade, by id."""
        return await self._tags_of(accountName).of_item("trade", tradeId)
