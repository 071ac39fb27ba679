"""Manual transactions and the transaction tasks: delete, auto-merge, spam detection."""

from collections.abc import Callable, Mapping
from typing import Any

from privatefolio_daemon.domain.derived_steps import AUTO_MERGE, DETECT_SPAM, Step
from privatefolio_daemon.domain.manual_transactions import (
    ManualTransactionInput,
    ManualTransactions,
    TransactionPatch,
)
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.side_effects import StepTasks
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.params import closed
from privatefolio_daemon.rpc.registry import CallContext, rpc_method


@closed
class ManualTransactionParams(ManualTransactionInput, total=False):
    """A manual transaction as the frontend sends it. The keys of a stored Transaction are
    accepted (an edited row sent back whole) and left to the daemon; any other key is refused,
    so a misspelt ``fees`` or ``note`` is not silently dropped."""

    id: str
    fileImportId: str | None
    connectionId: str | None
    importIndex: int | None
    role: str | None
    metadata: dict[str, Any] | None


@closed
class TransactionPatchParams(TransactionPatch, total=False):
    """A patch as the frontend sends it: the other keys of a stored Transaction are accepted and
    left to the daemon; any other key is refused, so a misspelt ``note`` is not silently
    dropped."""

    fileImportId: str | None
    connectionId: str | None
    importIndex: int | None


class TransactionsApi:
    def __init__(
        self,
        manual_of: Callable[[str], ManualTransactions],
        relayer: Relayer,
        steps: Mapping[str, Step],
    ) -> None:
        self._manual_of = manual_of
        self._relayer = relayer
        self._steps = steps

    @rpc_method()
    async def addTransaction(
        self, tx: ManualTransactionParams, accountName: str, groupId: str | None = None
    ) -> str:
        """Add a manual transaction (the transaction comes first); returns its id MANUAL_<n>."""
        return await self._manual_of(accountName).add(tx, groupId)

    @rpc_method()
    async def updateTransaction(
        self, accountName: str, id: str, tx: ManualTransactionParams
    ) -> None:
        """Replace a manual transaction and its audit logs, keeping its id."""
        await self._manual_of(accountName).update(id, tx)

    @rpc_method()
    async def patchTransaction(
        self, accountName: str, id: str, patch: TransactionPatchParams
    ) -> None:
        """Change fields of a transaction (notes, say). A manual transaction's changed amounts,
        assets, time, wallet, platform or type make its audit logs again; an imported
        transaction's are fixed by its file, and only its notes, type, price, role and metadata
        can change; its connection, synced again, keeps what was patched."""
        await self._manual_of(accountName).patch(id, patch)

    @rpc_method()
    async def enqueueDeleteTransaction(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        transactionId: str,
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """Queue the removal of a transaction with its audit logs and tags; returns the task id."""
        manual = self._manual_of(accountName)
        ctx.keep_until_called(onCompletion)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await manual.delete(transactionId, progress, cancel)

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=f"Remove transaction {transactionId}",
                description=f"Remove the transaction {transactionId} and its audit logs",
                priority=Priority.HIGHEST,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=onCompletion,
            ),
        )

    @rpc_method()
    async def enqueueAutoMerge(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Auto-merge transactions" (EVM rows sharing a tx hash); returns the task id."""
        return await self._enqueue_step(accountName, AUTO_MERGE, trigger, groupId)

    @rpc_method()
    async def enqueueDetectSpamTransactions(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Detect spam transactions" (tags them ``spam``); returns the task id."""
        return await self._enqueue_step(accountName, DETECT_SPAM, trigger, groupId)

    async def _enqueue_step(
        self, account: str, name: str, trigger: Trigger, group_id: str | None
    ) -> int:
        spec = StepTasks(account, self._steps).spec(name, trigger, group_id)
        return await self._relayer.enqueue(account, spec)
