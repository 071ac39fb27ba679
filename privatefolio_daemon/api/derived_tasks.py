"""Queueing a derived-data task (balances, prices, net worth) under its Privatefolio name."""

from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskFunction, TaskSpec, Trigger


async def enqueue_task(
    relayer: Relayer,
    account: str,
    name: str,
    function: TaskFunction,
    trigger: Trigger,
    *,
    priority: Priority,
    group_id: str | None = None,
    determinate: bool = True,
) -> int:
    spec = TaskSpec(
        name=name,
        description=f"{name} of {account}",
        priority=priority,
        function=function,
        trigger=trigger,
        determinate=determinate,
        group_id=group_id,
    )
    return await relayer.enqueue(account, spec)
