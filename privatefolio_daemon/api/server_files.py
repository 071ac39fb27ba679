"""Server-file methods: register an upload, list, delete."""

from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.client_queries import FrontendTable, map_rows
from privatefolio_daemon.domain.server_files import NewServerFile, ServerFiles
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.server_files import file_to_wire

SERVER_FILES = FrontendTable(
    "SELECT * FROM server_files ORDER BY id DESC",
    "SELECT COUNT(*) FROM server_files",
)


class ServerFilesApi:
    def __init__(
        self,
        files_of: Callable[[str], ServerFiles],
        db_of: Callable[[str], Database],
        budget_seconds: float,
    ) -> None:
        self._files_of = files_of
        self._db_of = db_of
        self._budget = budget_seconds

    @rpc_method()
    async def upsertServerFile(self, accountName: str, file: NewServerFile) -> dict[str, Any]:
        """Register a file (then POST its bytes to /upload with accountName and fileId)."""
        return await self._files_of(accountName).upsert(file)

    @rpc_method()
    async def getServerFile(self, accountName: str, fileId: int) -> dict[str, Any]:
        """One server file."""
        return await self._files_of(accountName).get(fileId)

    @rpc_method()
    async def getServerFiles(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The account's files, newest first (or the rows of ``query``, read by position)."""
        rows = await SERVER_FILES.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, file_to_wire, query)

    @rpc_method()
    async def countServerFiles(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many server files."""
        return await SERVER_FILES.count(self._db_of(accountName), query, params, self._budget)

    @rpc_method()
    async def deleteServerFile(self, accountName: str, fileId: int) -> None:
        """Delete a file and its bytes."""
        await self._files_of(accountName).delete(fileId)
