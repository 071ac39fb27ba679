"""The ``server_tasks`` rows of one account's queue, written without making a caller wait.

Every row the queue writes goes through here, to the account's writer, in the order the queue
hands it over. A task's id is given here, at once, above every id the account has given. When the
writer holds nothing but the queue's own rows (a few statements each), a caller waits for its
row, as it always did. When it holds other work (an import's one transaction, say), the caller of
an enqueue or of a cancel goes on at once: the row is *unwritten* until the writer gets to it.
Meanwhile reads of the table see it (``store/unwritten_tasks.py``), and a journal names it should
the process die first (``unwritten_journal.py``). Decision 0018.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from privatefolio_daemon.relayer.task_types import TaskSpec
from privatefolio_daemon.relayer.unwritten_journal import UnwrittenJournal
from privatefolio_daemon.store import server_tasks
from privatefolio_daemon.store.database import Database, Row

log = logging.getLogger(__name__)

T = TypeVar("T")

_STATUS = server_tasks.COLUMNS.index("status")


class TaskRows:
    def __init__(
        self, db: Database, journal: UnwrittenJournal, changed: Callable[[], None]
    ) -> None:
        self._db = db
        self._journal = journal
        self._changed = changed
        """Called when rows that were shown unwritten turn out never to be written."""
        self._last_id = 0
        self._own = 0
        """How many of the writer's unfinished writes are the queue's rows."""
        self._handed = 0
        self._unwritten: dict[int, tuple[Row, int]] = {}
        """By id: the row as the writer will leave it, and the number of the write that does."""
        self._writes: set[asyncio.Future[object]] = set()
        self._journaled = False

    async def recover(self, reason: str) -> list[str]:
        """Write what the journal holds, end the tasks the last process left (restart recovery)
        and take up the account's ids; returns the names of the tasks ended."""
        unwritten = await asyncio.to_thread(self._journal.read)

        def recover(connection: sqlite3.Connection) -> tuple[list[str], int]:
            names = server_tasks.recover_after_restart(connection, reason, unwritten)
            return names, server_tasks.highest_id(connection)

        names, self._last_id = await self.write(recover)
        await asyncio.to_thread(self._journal.clear)
        return names

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    async def write(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Write the queue's rows (a few statements), waiting for the writer."""
        return await self._own_write(function)

    async def insert(self, rows: Sequence[Row]) -> None:
        """Write new rows (ids from ``next_id``); waits only if the writer holds nothing else."""
        await self._hand_over(rows, lambda conn: server_tasks.insert_rows(conn, rows))

    async def end_queued(self, row: Row, **ended: object) -> None:
        """Write the end of a queued task (``row`` updated with ``ended``); waits only if the
        writer holds nothing else."""
        task_id = int(row[0])
        shown = _updated(row, ended)
        await self._hand_over([shown], lambda conn: server_tasks.patch_task(conn, task_id, **ended))

    def unwritten(self) -> tuple[Row, ...]:
        """The rows handed to the writer that it has not written yet, as it will write them."""
        return tuple(row for row, _ in self._unwritten.values())

    def unwritten_status(self, task_id: int) -> str | None:
        shown = self._unwritten.get(task_id)
        return None if shown is None else str(shown[0][_STATUS])

    async def settled(self) -> None:
        """Wait until the writer has written (or failed to write) every row handed over."""
        while self._writes:
            await asyncio.wait(set(self._writes))

    def _own_write(self, function: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        written = self._db.write_soon(function)
        self._own += 1
        written.add_done_callback(self._own_done)
        return written

    def _own_done(self, _: object) -> None:
        self._own -= 1

    async def _hand_over(
        self, rows: Sequence[Row], write: Callable[[sqlite3.Connection], object]
    ) -> None:
        deferred = self._db.writes_unfinished > self._own  # other work comes first
        self._handed += 1
        for row in rows:
            self._unwritten[int(row[0])] = (row, self._handed)
        if deferred:
            self._journal.note(rows)
            self._journaled = True
        try:
            written = self._own_write(write)
        except BaseException:
            self._written_or_not(rows, self._handed, deferred, None)
            raise
        self._writes.add(written)
        written.add_done_callback(partial(self._written_or_not, rows, self._handed, deferred))
        if not deferred:
            await asyncio.shield(written)

    def _written_or_not(
        self,
        rows: Sequence[Row],
        number: int,
        deferred: bool,
        written: asyncio.Future[object] | None,
    ) -> None:
        if written is not None:
            self._writes.discard(written)
        for row in rows:
            if self._unwritten.get(int(row[0]), (None, 0))[1] == number:
                del self._unwritten[int(row[0])]
        failure = None if written is None or written.cancelled() else written.exception()
        if deferred and failure is not None:
            ids = [row[0] for row in rows]
            log.error("Task rows %s could not be written", ids, exc_info=failure)
            self._changed()
        if self._journaled and not self._unwritten:
            self._journaled = False
            self._journal.clear()


def queued_row(task_id: int, spec: TaskSpec, created_at: int) -> Row:
    """The row of a task as it is queued."""
    return server_tasks.task_row(
        id=task_id,
        name=spec.name,
        description=spec.description,
        priority=spec.priority,
        trigger=spec.trigger,
        status="queued",
        createdAt=created_at,
        determinate=spec.determinate,
        groupId=spec.group_id,
    )


def _updated(row: Row, fields: dict[str, object]) -> Row:
    return tuple(
        fields.get(column, value) for column, value in zip(server_tasks.COLUMNS, row, strict=True)
    )
