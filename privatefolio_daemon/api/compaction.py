"""Compacting an account's file: on request, and after a removal that left much of it free."""

from collections.abc import Callable

from privatefolio_daemon.domain.compaction import COMPACT_DATABASE, Compaction
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.registry import rpc_method


def compaction_task(compaction: Compaction, trigger: Trigger) -> TaskSpec:
    async def run(progress: TaskProgress, cancel: CancelToken) -> None:
        await compaction.run(progress, cancel)

    return TaskSpec(
        name=COMPACT_DATABASE,
        description="Give the free space inside the account's database file back to the disk",
        priority=Priority.LOW,
        function=run,
        trigger=trigger,
        determinate=True,
    )


async def compact_if_worthwhile(relayer: Relayer, account: str, compaction: Compaction) -> None:
    """After a removal: queue "Compact database" when enough of the file is free."""
    if await compaction.worthwhile():
        await relayer.enqueue(account, compaction_task(compaction, "side-effect"))


async def compact_if_owed(relayer: Relayer, account: str, compaction: Compaction) -> None:
    """When the account opens: queue "Compact database" when a stop cut off the compaction a
    removal asked for (the file holds free pages, enough of them)."""
    if (await compaction.free_space()).free_pages and await compaction.worthwhile():
        await relayer.enqueue(account, compaction_task(compaction, "system"))


class CompactionApi:
    def __init__(self, compaction_of: Callable[[str], Compaction], relayer: Relayer) -> None:
        self._compaction_of = compaction_of
        self._relayer = relayer

    @rpc_method()
    async def enqueueCompactDatabase(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Compact database": rewrite the account's file without the space that deleted
        data left free in it. A removal that frees much of the file queues it by itself."""
        task = compaction_task(self._compaction_of(accountName), trigger)
        return await self._relayer.enqueue(accountName, task)
