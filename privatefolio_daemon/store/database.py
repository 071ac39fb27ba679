"""One SQLite file with one writer and a few read-only readers, each on its own thread.

Callers say ``read`` or ``write`` and hand over a function of a ``sqlite3.Connection``; the function
runs on the right thread, so a whole transaction (an import of a million rows, say) runs off the
event loop in one go. See docs/decisions/0001-sqlite-threads.md.

A transaction that rewrites many pages (``bulk_write``: an import, a balance pass) leaves the
copy of its pages from the write-ahead log into the database file, the checkpoint, to a thread
of its own, so that its commit returns as soon as the log holds the pages.

Each write first checks that the path still names the file the writer opened
(``store.file_gone``); once it does not, writes are refused and reads use the connections open.
"""

import asyncio
import contextvars
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from privatefolio_daemon.store.file_gone import FileWatch

T = TypeVar("T")
Row = tuple[Any, ...]

log = logging.getLogger(__name__)

PAGE_BYTES = 16384
"""The page size of a new database file; an existing file keeps its own. A bulk import's copy,
index builds and commit take about a quarter less time than with SQLite's default of 4 KiB
(decision 0004, session 19)."""

AUTOCHECKPOINT_BYTES = 4 * 1024 * 1024
"""A commit that leaves this much in the log checkpoints it: SQLite's default of 1,000 pages of
4 KiB, kept in bytes whatever the file's page size."""

WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Once checkpointed, a log file larger than this is truncated to it (SQLite keeps it whole)."""


class QueryTimeout(Exception):
    """A statement ran past its time budget and was interrupted."""


class QueriesBusy(Exception):
    """The connections for queries the frontend writes stayed busy too long to wait for."""


class _FileMoved(Exception):
    """A reader or the checkpointer found the path naming another file, or none."""


class _Worker:
    """A thread that owns one connection."""

    def __init__(self, name: str, connect: Callable[[], sqlite3.Connection]) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.connection: sqlite3.Connection | None = None
        self._connect = connect
        self._used = False
        self._handed = 0
        self._done = 0
        """Counted as each ends (on the thread, or where it was cancelled before it began): a
        caller who stops waiting does not end the work."""
        self._counting = threading.Lock()

    @property
    def unfinished(self) -> int:
        """How many of the functions handed to the thread it has not finished."""
        return self._handed - self._done

    def submit(self, function: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Hand ``function`` to the thread now, behind what it holds, to run in the caller's
        context (as ``asyncio.to_thread``); its result comes in the future."""
        loop = asyncio.get_running_loop()
        self._used = True
        context = contextvars.copy_context()
        handed = self.executor.submit(context.run, self._call, function)
        self._handed += 1
        handed.add_done_callback(self._ended)
        return asyncio.wrap_future(handed, loop=loop)

    def _ended(self, _: object) -> None:
        with self._counting:
            self._done += 1

    async def run(self, function: Callable[[sqlite3.Connection], T]) -> T:
        return await self.submit(function)

    def _call(self, function: Callable[[sqlite3.Connection], T]) -> T:
        if self.connection is None:
            self.connection = self._connect()
        return function(self.connection)

    async def release_memory(self) -> None:
        """Free what the connection's page cache holds; a worker never connected stays so."""
        loop = asyncio.get_running_loop()
        with suppress(RuntimeError):  # the executor was shut down: the connection is closed
            await loop.run_in_executor(self.executor, self._shrink)

    def _shrink(self) -> None:
        if self.connection is not None:
            self.connection.execute("PRAGMA shrink_memory")

    async def close(self) -> None:
        """Close the connection after the work given to the thread before, which a caller that
        was cancelled no longer waits for: a connection still being made is closed too."""
        if self._used:
            loop = asyncio.get_running_loop()
            with suppress(Exception):
                await loop.run_in_executor(self.executor, self._close_connection)
        self.executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Database:
    def __init__(
        self, path: Path, *, readers: int = 2, client_readers: int = 2, busy_timeout_ms: int = 5000
    ) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._writer = _Worker(f"db-write-{path.stem}", self._connect_writer)
        self._pool_sizes = {"read": readers, "client": client_readers}
        self._idle: dict[str, asyncio.Queue[_Worker]] = {}
        self._readers: list[_Worker] = []
        self._checkpointer = _Worker(f"db-checkpoint-{path.stem}", self._connect_checkpointer)
        self._checkpoint_wanted = False
        self._checkpoints: asyncio.Task[None] | None = None
        self._watch = FileWatch(path)
        self.closed = False

    # -- connections -----------------------------------------------------------------------

    def _connect_writer(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._watch.opened()
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        connection.execute(f"PRAGMA page_size = {PAGE_BYTES}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        # Deleted content is zeroed where its page is written anyway, but freed pages are not
        # rewritten (some builds zero them by default, which doubles the log of a large removal);
        # a removal that frees much of the file is followed by a VACUUM (``domain.compaction``).
        connection.execute("PRAGMA secure_delete = FAST")
        # Up to 64 MiB of page cache (allocated only as used): bulk imports and balance passes
        # touch many index pages, and spilling them to the WAL mid-transaction costs a lot.
        connection.execute("PRAGMA cache_size = -65536")
        connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        connection.execute(f"PRAGMA wal_autocheckpoint = {autocheckpoint_pages(connection)}")
        return connection

    def _connect_checkpointer(self) -> sqlite3.Connection:
        self._refuse_moved()
        uri = f"{self.path.resolve().as_uri()}?mode=rw"
        connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        return connection

    def _connect_reader(self) -> sqlite3.Connection:
        self._refuse_moved()
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        connection.execute("PRAGMA query_only = 1")
        return connection

    def _refuse_moved(self) -> None:
        """Connect no further: the path names another file, or none (the writer says more)."""
        if not self._watch.in_place():
            raise _FileMoved(f"The database file {self.path} is not the one the daemon opened")

    def _reader_pool(self, kind: str = "read") -> asyncio.Queue[_Worker]:
        """The idle readers of one pool: the daemon's own reads, or the frontend's queries."""
        pool = self._idle.get(kind)
        if pool is None:
            pool = self._idle[kind] = asyncio.Queue()
            for index in range(self._pool_sizes[kind]):
                worker = _Worker(f"db-{kind}-{self.path.stem}-{index}", self._connect_reader)
                self._readers.append(worker)
                pool.put_nowait(worker)
        return pool

    # -- the two ways in -------------------------------------------------------------------

    async def write(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` on the writer thread. It manages its own transaction."""
        return await self.write_soon(function)

    def write_soon(self, function: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """``write``, handed to the writer at once, behind the work it holds, without waiting:
        the future holds the result (``writes_unfinished`` says how much work it is behind)."""
        self._check_open()

        def checked(connection: sqlite3.Connection) -> T:
            self._watch.check(connection)
            return function(connection)

        return self._writer.submit(checked)

    @property
    def writes_unfinished(self) -> int:
        """How many writes the writer holds that it has not finished (the one it runs too)."""
        return self._writer.unfinished

    async def bulk_write(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """``write`` for work that rewrites many pages: its commit skips the checkpoint, which
        then runs on the checkpoint thread while the writer goes on (``checkpointed`` waits)."""

        def run(connection: sqlite3.Connection) -> T:
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            try:
                return function(connection)
            finally:
                pages = autocheckpoint_pages(connection)
                connection.execute(f"PRAGMA wal_autocheckpoint = {pages}")

        try:
            return await self.write(run)
        finally:
            self._schedule_checkpoint()

    async def checkpointed(self) -> None:
        """Wait until the background checkpoints asked for so far have run."""
        if self._checkpoints is not None:
            await asyncio.shield(self._checkpoints)

    def _schedule_checkpoint(self) -> None:
        self._checkpoint_wanted = True
        if self._checkpoints is None or self._checkpoints.done():
            self._checkpoints = asyncio.create_task(self._run_checkpoints())

    async def _run_checkpoints(self) -> None:
        # A checkpoint copies the log as it was when it started: ask again, run again.
        while self._checkpoint_wanted and not self.closed and self._watch.happened is None:
            self._checkpoint_wanted = False
            try:
                await self._checkpointer.run(_checkpoint)
            except Exception:
                log.warning("Checkpoint of %s failed", self.path.name, exc_info=True)

    async def transaction(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` on the writer thread inside ``BEGIN IMMEDIATE`` … ``COMMIT``."""
        return await self.write(lambda connection: in_transaction(connection, function))

    async def bulk_transaction(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """``transaction`` for work that rewrites many pages, checkpointed as ``bulk_write``."""
        return await self.bulk_write(lambda connection: in_transaction(connection, function))

    async def read(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` on an idle read-only connection."""
        self._check_open()
        pool = self._reader_pool()
        worker = await pool.get()
        try:
            return await self._run_reader(worker, function)
        finally:
            pool.put_nowait(worker)

    async def read_client(
        self, function: Callable[[sqlite3.Connection], T], *, wait_seconds: float
    ) -> T:
        """Run a query the frontend wrote on a read-only connection of a pool of its own, so
        that slow ones never hold up the daemon's reads; waiting for a connection longer than
        ``wait_seconds`` raises :class:`QueriesBusy`."""
        self._check_open()
        pool = self._reader_pool("client")
        try:
            async with asyncio.timeout(wait_seconds):
                worker = await pool.get()
        except TimeoutError:
            raise QueriesBusy(
                f"Other queries of this account kept its query connections busy for "
                f"{wait_seconds:g} s; try again in a moment"
            ) from None
        try:
            return await self._run_reader(worker, function)
        finally:
            pool.put_nowait(worker)

    async def _run_reader(self, worker: _Worker, function: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await worker.run(function)
        except _FileMoved:
            await self.write(_nothing)  # raises DatabaseFileGone, saying where the data went
            raise

    async def check_file(self) -> None:
        """Raise ``DatabaseFileGone`` if the path no longer names the file the daemon opened."""
        await self.write(_nothing)

    # -- conveniences ------------------------------------------------------------------------

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self.read(lambda connection: connection.execute(sql, params).fetchall())

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self.read(lambda connection: connection.execute(sql, params).fetchone())

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement in its own transaction; returns the last row id."""

        def run(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(sql, params)
            return cursor.lastrowid or 0

        return await self.write(run)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.transaction(lambda connection: connection.executemany(sql, rows))

    async def release_memory(self) -> None:
        """Free the connections' page caches: a bulk write or a balance pass fills the writer's
        (up to 64 MiB), which it would otherwise hold for as long as the account is open."""
        if self.closed:
            return
        for worker in (self._writer, *self._readers, self._checkpointer):
            await worker.release_memory()

    def interrupt_writer(self) -> None:
        """Abort the statement the writer is running (thread-safe)."""
        if self._writer.connection is not None:
            self._writer.connection.interrupt()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._checkpoints is not None:
            with suppress(Exception):
                await self._checkpoints
        for reader in self._readers:  # readers first: the last connection out removes the WAL
            await reader.close()
        await self._checkpointer.close()
        if self._watch.happened is not None:
            with suppress(Exception):
                await self._writer.run(self._watch.settle)
        await self._writer.close()
        if self._watch.happened is not None:
            await asyncio.to_thread(self._watch.closed)

    def _check_open(self) -> None:
        if self.closed:
            raise sqlite3.ProgrammingError(f"Database {self.path.name} is closed")


def _nothing(_: sqlite3.Connection) -> None:
    pass


def autocheckpoint_pages(connection: sqlite3.Connection) -> int:
    """``AUTOCHECKPOINT_BYTES`` in pages of the connection's database."""
    return AUTOCHECKPOINT_BYTES // int(connection.execute("PRAGMA page_size").fetchone()[0])


def _checkpoint(connection: sqlite3.Connection) -> None:
    """PASSIVE: copies what it can without waiting for, or blocking, readers and the writer."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def wal_database_file(connection: sqlite3.Connection) -> Path | None:
    """The file of the connection's main database when other processes can read it while this
    connection writes (write-ahead logging); else None."""
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        return None
    for _, name, file in connection.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    return None


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read ``path`` (and creates nothing, not even the file)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def in_transaction(
    connection: sqlite3.Connection, function: Callable[[sqlite3.Connection], T]
) -> T:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = function(connection)
    except BaseException:
        if connection.in_transaction:  # an interrupted write has rolled it back already
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def with_time_budget(
    connection: sqlite3.Connection, seconds: float, function: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``function``, interrupting any statement that is still running after ``seconds``.

    A timer interrupts the connection at the deadline: SQLite stops at its next step, however
    few steps the statement takes (a progress handler counts steps, and one call of an
    expensive function is one step).
    """
    deadline = _Deadline(connection, seconds)
    try:
        return function(connection)
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error) and deadline.passed:
            raise QueryTimeout(f"Query took longer than {seconds:g} s and was stopped") from error
        raise
    finally:
        deadline.end()


class _Deadline:
    """Interrupts a connection once ``seconds`` have passed, unless ``end`` came first."""

    def __init__(self, connection: sqlite3.Connection, seconds: float) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._ended = False
        self.passed = False
        self._timer = threading.Timer(seconds, self._interrupt)
        self._timer.daemon = True
        self._timer.start()

    def _interrupt(self) -> None:
        with self._lock:  # never after ``end``: the connection may run someone else's query
            if not self._ended:
                self.passed = True
                self._connection.interrupt()

    def end(self) -> None:
        with self._lock:
            self._ended = True
        self._timer.cancel()
