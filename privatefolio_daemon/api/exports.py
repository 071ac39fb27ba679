"""The CSV exports: queued as tasks, and the call answers with the ServerFile once it is written."""

import asyncio
from collections.abc import Callable
from typing import Any

from privatefolio_daemon.api.derived_tasks import task_error
from privatefolio_daemon.domain.exports import (
    AUDIT_LOGS,
    CHAT_HISTORY,
    TRANSACTIONS,
    ExportKind,
    Exports,
)
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.registry import rpc_method


class ExportsApi:
    def __init__(self, exports_of: Callable[[str], Exports], relayer: Relayer) -> None:
        self._exports_of = exports_of
        self._relayer = relayer
        #: Results by (account, task id): a second request queued behind the same task shares it.
        self._pending: dict[tuple[str, int], asyncio.Future[dict[str, Any]]] = {}

    @rpc_method()
    async def enqueueExportTransactions(self, accountName: str, trigger: Trigger) -> dict[str, Any]:
        """Export all transactions to ``<account>-transactions.csv``; returns its ServerFile."""
        return await self._export(accountName, trigger, "Export all transactions", TRANSACTIONS)

    @rpc_method()
    async def enqueueExportAuditLogs(self, accountName: str, trigger: Trigger) -> dict[str, Any]:
        """Export all audit logs to ``<account>-audit-logs.csv``; returns its ServerFile."""
        return await self._export(accountName, trigger, "Export all audit logs", AUDIT_LOGS)

    @rpc_method()
    async def enqueueExportChatHistory(self, accountName: str, trigger: Trigger) -> dict[str, Any]:
        """Export all chat messages to ``<account>-chat-history.csv``; returns its ServerFile."""
        return await self._export(accountName, trigger, "Export all chat history", CHAT_HISTORY)

    async def _export(
        self, account: str, trigger: Trigger, name: str, kind: ExportKind
    ) -> dict[str, Any]:
        exports = self._exports_of(account)
        result: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            record = await exports.export(kind, progress, cancel)
            if not result.done():
                result.set_result(record)

        def finished(error: str | None) -> None:
            if error is None or result.done():
                return
            result.set_exception(task_error(name, error))

        task_id = await self._relayer.enqueue(
            account,
            TaskSpec(
                name=name,
                description=f"{name} of {account} to CSV",
                priority=Priority.LOW,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=finished,
            ),
        )
        key = (account, task_id)
        shared = self._pending.setdefault(key, result)
        try:
            return await asyncio.shield(shared)
        finally:
            if shared.done():
                self._pending.pop(key, None)
