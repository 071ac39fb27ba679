"""Cancelling the running task at an exact statement of its account's writer, through the daemon.

A trace callback on the account's writer connection (the test's instrument, not the daemon's)
waits for a statement starting with ``at`` that runs after one containing ``after``. There, on the
writer thread, it asks ``getTaskQueue`` for the running task and waits for ``cancelTask`` to
answer before letting the statement run: the cancel lands while that statement's transaction is
in flight, not left to timing.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient

#: The statement that marks a task running: ``after`` it, the task's own writes come.
TASK_STARTS = "status = 'running'"


@dataclass
class WriterTrap:
    after: str
    at: str
    armed: bool = False
    cancelled: int | None = None
    """The id of the task cancelled, once the trap sprang."""

    def springs_at(self, sql: str) -> bool:
        text = sql.lstrip().upper()
        if self.cancelled is not None:
            return False
        if not self.armed:
            self.armed = self.after.upper() in text
            return False
        return text.startswith(self.at.upper())


@asynccontextmanager
async def cancel_on_writer(
    daemon: Daemon,
    client: DaemonClient,
    account: str,
    *,
    at: str = "COMMIT",
    after: str = TASK_STARTS,
) -> AsyncIterator[WriterTrap]:
    """Cancel the running task as the writer starts a statement ``at`` after one holding
    ``after`` (case-insensitive)."""
    db = daemon.accounts.get(account)
    loop = asyncio.get_running_loop()
    trap = WriterTrap(after, at)

    def call(method: str, *params: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(client.call(method, *params), loop).result(30)

    def on_statement(sql: str) -> None:
        if trap.springs_at(sql):
            task_id = call("getTaskQueue", account)["running"]["id"]
            call("cancelTask", account, task_id)
            trap.cancelled = task_id

    await db.write(lambda connection: connection.set_trace_callback(on_statement))
    try:
        yield trap
    finally:
        await db.write(lambda connection: connection.set_trace_callback(None))
