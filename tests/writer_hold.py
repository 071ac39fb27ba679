"""Holding an account's writer inside a real transaction, at an exact statement, until the test
lets it go.

A trace callback on the account's writer connection (the test's instrument, not the daemon's)
waits, on the writer thread, as the first statement starting with ``at`` begins: the transaction
around it stays open, and every write handed to the writer after it waits, as behind a long
import. What the test does meanwhile happens while the writer is held, not left to timing; the
hold ends when the test leaves the block (or, so that a test that waits for the writer fails
instead of hanging, after ``GUARD_SECONDS``).
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from privatefolio_daemon.app import Daemon

GUARD_SECONDS = 30.0


@dataclass
class WriterHold:
    at: str
    _reached: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _ended: threading.Event = field(default_factory=threading.Event)

    @property
    def holding(self) -> bool:
        """Whether the writer waits at the statement now."""
        return self._reached.is_set() and not self._ended.is_set()

    async def reached(self) -> None:
        """Wait until the writer waits at the statement."""
        assert await asyncio.to_thread(self._reached.wait, GUARD_SECONDS), (
            f"the writer never ran a statement starting with {self.at!r}"
        )

    def release(self) -> None:
        self._release.set()

    def on_statement(self, sql: str) -> None:
        if self._reached.is_set() or not sql.lstrip().upper().startswith(self.at.upper()):
            return
        self._reached.set()
        self._release.wait(GUARD_SECONDS)
        self._ended.set()


def hold_at(at: str) -> Callable[[str], None]:
    """A trace callback that holds its connection's thread at ``at`` until the process ends."""
    reached = threading.Event()

    def on_statement(sql: str) -> None:
        if not reached.is_set() and sql.lstrip().upper().startswith(at.upper()):
            reached.set()
            threading.Event().wait()

    return on_statement


@asynccontextmanager
async def writer_held(daemon: Daemon, account: str, at: str) -> AsyncIterator[WriterHold]:
    """Hold the account's writer at the first statement starting with ``at`` (case-insensitive)
    until the block ends."""
    db = daemon.accounts.get(account)
    hold = WriterHold(at)
    await db.write(lambda connection: connection.set_trace_callback(hold.on_statement))
    try:
        yield hold
    finally:
        hold.release()
        await db.write(lambda connection: connection.set_trace_callback(None))
