"""File-import methods: requirements, the import task, listing and removal."""

from collections.abc import Callable
from typing import Any, TypedDict

import orjson

from privatefolio_daemon.api.client_queries import FrontendTable, map_rows
from privatefolio_daemon.api.compaction import compact_if_worthwhile
from privatefolio_daemon.domain.compaction import Compaction
from privatefolio_daemon.domain.file_imports import FileImports
from privatefolio_daemon.domain.server_files import NewServerFile
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, rpc_method
from privatefolio_daemon.sources.importers.base import ParserContext, Requirement
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.ledger import file_import_to_wire
from privatefolio_daemon.store.seen_through import seen_through

FILE_IMPORTS = FrontendTable(
    "SELECT * FROM file_imports ORDER BY timestamp DESC",
    "SELECT COUNT(*) FROM file_imports",
)


class ParserContextWire(TypedDict, total=False):
    platform: str
    userAddress: str


class FileImportsApi:
    def __init__(
        self,
        imports_of: Callable[[str], FileImports],
        db_of: Callable[[str], Database],
        relayer: Relayer,
        budget_seconds: float,
        compaction_of: Callable[[str], Compaction],
    ) -> None:
        self._imports_of = imports_of
        self._compaction_of = compaction_of
        self._db_of = db_of
        self._relayer = relayer
        self._budget = budget_seconds

    @rpc_method(none_is_nothing=True)
    async def getFileImportRequirements(
        self, accountName: str, fileRecord: NewServerFile
    ) -> list[Requirement] | None:
        """What the import needs (a platform, a user address); null if nothing, or unknown."""
        return await self._imports_of(accountName).requirements(int(fileRecord.get("id", 0)))

    @rpc_method()
    async def enqueueImportFile(
        self,
        accountName: str,
        trigger: Trigger,
        fileId: int,
        parserContext: ParserContextWire | None = None,
        groupId: str | None = None,
    ) -> int:
        """Queue the import of an uploaded file; returns the task id."""
        imports = self._imports_of(accountName)
        record = await imports.files.get(fileId)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await imports.run_import(fileId, dict(parserContext or {}), groupId, progress, cancel)

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=f'Import "{record["name"]}"',
                description=f'Import the file "{record["name"]}"',
                priority=Priority.VERY_HIGH,
                function=run,
                trigger=trigger,
                determinate=True,
                group_id=groupId,
                # Only a repeated call for the same file, context and group is merged (a context
                # left out is the empty one: the import reads them alike).
                merge_key=_import_key(fileId, parserContext, groupId),
            ),
        )

    @rpc_method()
    async def enqueueRemoveFileImport(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        fileImportId: str,
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """Queue the removal of a file import with its audit logs and transactions."""
        imports = self._imports_of(accountName)
        ctx.keep_until_called(onCompletion)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await imports.remove(fileImportId, progress, cancel)
            # Removed and committed: a cancel from here on changes nothing, the task completes.
            await seen_through(
                compact_if_worthwhile(self._relayer, accountName, self._compaction_of(accountName))
            )

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name="Remove file import",
                description=f"Remove the file import {fileImportId}",
                priority=Priority.VERY_HIGH,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=onCompletion,
                merge_key=fileImportId,
            ),
        )

    @rpc_method()
    async def getFileImports(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """File imports, the last finished first."""
        rows = await FILE_IMPORTS.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, file_import_to_wire, query)

    @rpc_method()
    async def countFileImports(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many file imports."""
        return await FILE_IMPORTS.count(self._db_of(accountName), query, params, self._budget)


def _import_key(file_id: int, context: ParserContextWire | None, group_id: str | None) -> str:
    read = ParserContext.from_wire(dict(context or {}))
    return orjson.dumps([file_id, read.platform, read.user_address, group_id]).decode()
