"""The accounts: one SQLite file each under ``<data>/databases/``, opened and migrated at start.

Other parts of the daemon that keep per-account state (the relayer's queues and crons) register an
``AccountLifecycle`` and are told when an account opens and before it closes.
"""

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

from privatefolio_daemon.domain import trades_offline
from privatefolio_daemon.domain.account_names import same_file_key, validate_account_name
from privatefolio_daemon.domain.errors import (
    BusyError,
    InvalidInputError,
    NotFoundError,
    StorageFullError,
    shortened,
)
from privatefolio_daemon.domain.events import (
    ACCOUNT_CREATED,
    ACCOUNT_DELETED,
    ACCOUNT_GONE,
    ACCOUNT_RENAMED,
    ACCOUNT_REOPENED,
    EventBus,
)
from privatefolio_daemon.domain.id_floors import (
    IdFloors,
    higher_floors,
    raise_floors,
    read_floors,
)
from privatefolio_daemon.domain.server_files import abort_interrupted_files
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.store.cut_short import refuse_cut_short
from privatefolio_daemon.store.database import Database, connect_read_only
from privatefolio_daemon.store.durable_files import write_durably
from privatefolio_daemon.store.file_gone import orphan_companions
from privatefolio_daemon.store.migrations import (
    OPEN_ERRORS,
    DatabaseOpenError,
    Migration,
    migrate,
    refuse_newer,
)
from privatefolio_daemon.store.open_failures import is_damaged, is_disk_full
from privatefolio_daemon.store.upgrade_copies import upgrade_copies

log = logging.getLogger(__name__)

_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
#: Beside a database while its account is reset: ``{seqFloor, createdAt, idFloors}``, so that a
#: reset cut off by a crash is finished at the next start, keeping versions and ids unique.
_RESET_MARKER = ".resetting"
#: Beside a database while its account is created: a creation a stop or a crash cut off before
#: SQLite wrote the file's first page left an empty file, which is no damaged account.
_CREATE_MARKER = ".creating"


class AccountLifecycle(Protocol):
    async def account_opened(self, name: str, db: Database) -> None: ...

    async def account_closing(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ClosedAccount:
    """An account closed by ``AccountRegistry.exclusive``."""

    reopen: Callable[[], Awaitable[Database]]
    close: Callable[[], Awaitable[None]]


class AccountOpenError(DatabaseOpenError):
    """An account database that cannot be opened or upgraded; the message names its file."""

    def __init__(self, account: str, path: Path, error: BaseException) -> None:
        super().__init__(f"{path}: {error}")
        self.account = account
        self.path = path
        #: Not a database, or a corrupt one: a backup restored into the account mends it.
        self.damaged = is_damaged(error)
        self.disk_full = is_disk_full(error)


class AccountRegistry:
    def __init__(
        self, data_dir: Path, events: EventBus, migrations: list[Migration], limits: Limits
    ) -> None:
        self.data_dir = data_dir
        self._events = events
        self._migrations = migrations
        self._limits = limits
        self._open: dict[str, Database] = {}
        #: Accounts closed for a moment, and why: calls on them are told to wait.
        self._closed_for: dict[str, str] = {}
        #: The names renames are giving: closed for a moment too, but listed once they are done.
        self._arriving: set[str] = set()
        self._created_at: dict[str, int] = {}
        self._lifecycles: list[AccountLifecycle] = []
        self._lock = asyncio.Lock()

    # -- paths ------------------------------------------------------------------------------

    @property
    def databases_dir(self) -> Path:
        return self.data_dir / "databases"

    def db_path(self, name: str) -> Path:
        return self.databases_dir / f"{_path_part(name)}.sqlite"

    def files_dir(self, name: str) -> Path:
        return self.data_dir / "files" / _path_part(name)

    def logs_dir(self, name: str) -> Path:
        return self.data_dir / "logs" / _path_part(name)

    # -- queries ----------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The accounts, those closed for a moment (being reset, restored or renamed: under
        the name they had) included."""
        names = (self._open.keys() | self._closed_for.keys()) - self._arriving
        return sorted(names, key=lambda name: (self._created_at.get(name, 0), name))

    def open_databases(self) -> list[Database]:
        """The databases of the accounts open now (one being reset or restored is not)."""
        return list(self._open.values())

    def exists(self, name: str) -> bool:
        return name in self._open

    def closed_for(self, name: str) -> str | None:
        """Why the account is closed for a moment ("being reset", "being restored", "being
        renamed to …"), if it is."""
        return self._closed_for.get(name)

    def any_being_restored(self) -> bool:
        """Whether an account is closed while a restore swaps its files."""
        return "being restored" in self._closed_for.values()

    def get(self, name: str) -> Database:
        db = self._open.get(name)
        if db is None and name in self._closed_for:
            raise BusyError(
                f"Account {shown_name(name)} is {self._closed_for[name]}; try again in a moment"
            )
        if db is None:
            raise NotFoundError(f"Account {shown_name(name)} does not exist")
        return db

    async def release_memory(self, name: str) -> None:
        """Free the page caches of an account's connections, if it is still open."""
        db = self._open.get(name)
        if db is not None:
            await db.release_memory()

    def add_lifecycle(self, lifecycle: AccountLifecycle) -> None:
        self._lifecycles.append(lifecycle)

    # -- start and stop ---------------------------------------------------------------------

    async def open_existing(self, only: str | None = None) -> None:
        """Purge half-deleted accounts, then open and migrate every account database (or the
        one of account ``only``, for a command that works on that account alone)."""
        self.databases_dir.mkdir(parents=True, exist_ok=True)
        for marker in self.databases_dir.glob("*.deleting"):
            self._remove_account_files(marker.stem)
        for marker in self.databases_dir.glob(f"*{_CREATE_MARKER}"):
            await asyncio.to_thread(self._end_cut_off_creation, marker)
        for marker in sorted(self.databases_dir.glob(f"*{_RESET_MARKER}")):
            state = orjson.loads(await asyncio.to_thread(marker.read_bytes))
            floors = IdFloors.from_json({"seq": state["seqFloor"], **state.get("idFloors", {})})
            await self._finish_reset(marker.stem, floors, state["createdAt"])
        await asyncio.to_thread(self._remove_orphans, only)
        for path in sorted(self.databases_dir.glob("*.sqlite")):
            if path.stem not in self._open and only in (None, path.stem):
                await self._open_account(path.stem)

    def _end_cut_off_creation(self, marker: Path) -> None:
        """An account whose creation was cut off: an empty database never held anything, and
        goes; one SQLite wrote stays, an account."""
        path = self.db_path(marker.stem)
        if path.exists() and path.stat().st_size == 0:
            for suffix in _SQLITE_SUFFIXES:
                path.with_name(f"{path.name}{suffix}").unlink(missing_ok=True)
            log.warning("Removed %s: the creation of its account was cut off", path)
        marker.unlink()

    def _remove_orphans(self, only: str | None) -> None:
        """The log and index of a database deleted while the daemon ran stay beside where it
        was; they must not be read as part of a database created there later. An index goes; a
        log or journal that holds anything is moved aside (``<name>.orphaned-<ms>``): it may
        hold the last writes of a file the user moved away, to be put back with it."""
        for orphan in orphan_companions(self.databases_dir):
            if only is not None and orphan.name.rsplit("-", 1)[0] != f"{only}.sqlite":
                continue
            if orphan.name.endswith("-shm") or orphan.stat().st_size == 0:
                orphan.unlink(missing_ok=True)
                log.warning("Removed %s: its database file is gone", orphan)
                continue
            kept = orphan.with_name(f"{orphan.name}.orphaned-{now_ms()}")
            orphan.rename(kept)
            log.warning("Moved %s aside to %s: its database file is gone", orphan, kept.name)

    async def close_all(self) -> None:
        for name in list(self._open):
            await self._close_account(name)

    # -- changes ----------------------------------------------------------------------------

    async def create(self, name: str) -> bool:
        """Create the account; False when it already exists. A bad name creates nothing."""
        validate_account_name(name)
        async with self._lock:
            if name in self._open:
                return False
            self._refuse_case_twin(name, await asyncio.to_thread(self._names_on_disk))
            marker = self.databases_dir / f"{_path_part(name)}{_CREATE_MARKER}"
            try:
                self.databases_dir.mkdir(parents=True, exist_ok=True)
                await asyncio.to_thread(marker.touch)
                await self._open_account(name, created_at=now_ms())
            except AccountOpenError as error:
                if error.disk_full:
                    raise StorageFullError(
                        f"The disk is full: account {shown_name(name)} could not be created in "
                        f"{self.databases_dir}. Free some space, then create it again."
                    ) from error
                raise
            finally:
                marker.unlink(missing_ok=True)
        self._events.emit(ACCOUNT_CREATED, name)
        self._events.emit("accounts", "created", name)
        return True

    async def delete(self, name: str) -> None:
        async with self._lock:
            self.get(name)
            marker = self.databases_dir / f"{name}.deleting"
            await asyncio.to_thread(marker.touch)
            self._events.emit(ACCOUNT_DELETED, name)
            self._events.emit(ACCOUNT_GONE, account=name)
            self._events.emit("accounts", "deleted", name)
            await self._close_account(name)
            await asyncio.to_thread(self._remove_account_files, name)
        self._events.forget_account(name)

    async def reset(self, name: str) -> None:
        """Empty the account: its data, files and logs go, an empty database takes its place."""
        async with self._lock:
            created_at = self._created_at.get(name) or now_ms()
            floors = await self.get(name).read(read_floors)
            state = {"seqFloor": floors.seq, "createdAt": created_at, "idFloors": floors.to_json()}
            await asyncio.to_thread(write_durably, self._reset_marker(name), orjson.dumps(state))
            self._events.emit("accounts", "deleted", name)
            self._closed_for[name] = "being reset"
            try:
                await self._close_account(name)
                await self._finish_reset(name, floors, created_at)
            finally:
                self._end_closed_for(name)
        self._events.announce_reset(name)

    def _reset_marker(self, name: str) -> Path:
        return self.databases_dir / f"{_path_part(name)}{_RESET_MARKER}"

    async def _finish_reset(self, name: str, floors: IdFloors, created_at: int) -> None:
        """An empty database in place of the account's, its data, files and logs gone. It gives
        ids above ``floors`` and above those its last database gave, read again now that it is
        closed: the task queue writes the rows of the ids it gave as it stops (decision 0018)."""
        floors = await asyncio.to_thread(_floors_given, self.db_path(name), floors)
        await asyncio.to_thread(self._remove_account_files, name)
        await self._open_account(name, created_at=created_at, floors=floors)
        self._reset_marker(name).unlink(missing_ok=True)

    async def rename(self, old: str, new: str) -> None:
        validate_account_name(new)
        async with self._lock:
            await self.get(old).check_file()  # a database deleted meanwhile would be lost
            if new in self._open or self.db_path(new).exists():
                raise InvalidInputError(f'Account "{new}" already exists')
            self._refuse_case_twin(new, await asyncio.to_thread(self._names_on_disk), but=old)
            created_at = self._created_at.get(old, now_ms())
            self._closed_for[old] = f"being renamed to {shown_name(new)}"
            self._closed_for[new] = f"being renamed from {shown_name(old)}"
            self._arriving.add(new)
            try:
                await self._close_account(old)
                self._move_account_files(old, new)
                await self._open_account(new, created_at=created_at)
            finally:
                self._closed_for.pop(old, None)
                self._closed_for.pop(new, None)
                self._arriving.discard(new)
                self._created_at.pop(old, None)
        self._events.emit(ACCOUNT_RENAMED, old, new)
        self._events.emit(ACCOUNT_GONE, account=old)
        self._events.forget_account(old)
        self._events.emit("accounts", "deleted", old)
        self._events.emit("accounts", "created", new)

    def _sqlite_files(self, name: str) -> list[Path]:
        """The account's database and the files SQLite keeps beside it."""
        path = self.db_path(name)
        return [path.with_name(f"{path.name}{suffix}") for suffix in _SQLITE_SUFFIXES]

    def _move_account_files(self, old: str, new: str) -> None:
        for suffix in _SQLITE_SUFFIXES:
            source = self.db_path(old).with_name(f"{old}.sqlite{suffix}")
            if source.exists():
                source.rename(self.db_path(new).with_name(f"{new}.sqlite{suffix}"))
        for copy in upgrade_copies(self.db_path(old)):  # they follow the account
            suffix = copy.name.removeprefix(f"{old}.sqlite")
            copy.rename(copy.with_name(f"{new}.sqlite{suffix}"))
        for directory in (self.files_dir, self.logs_dir):
            if directory(old).exists():
                directory(old).rename(directory(new))

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[ClosedAccount]:
        """Close the account so its files can be swapped; no other account change runs meanwhile.

        The block may ``reopen`` it (and ``close`` it again to retry). If the block ends without
        a successful ``reopen``, the account stays closed.
        """
        async with self._lock:
            self.get(name)
            self._closed_for[name] = "being restored"
            try:
                await self._close_account(name)
                yield ClosedAccount(
                    reopen=lambda: self._open_account(name),
                    close=lambda: self._close_account(name),
                )
            finally:
                self._end_closed_for(name)

    # -- internals --------------------------------------------------------------------------

    def _end_closed_for(self, name: str) -> None:
        """The account is no longer closed for a moment: what waits for it to reopen is woken
        when it has, changed or, after a failure, as it was."""
        self._closed_for.pop(name, None)
        if name in self._open:
            self._events.emit(ACCOUNT_REOPENED, account=name)

    def _names_on_disk(self) -> set[str]:
        """The accounts whose database files are in ``databases/``, open or not (an offline
        command opens only its own)."""
        if not self.databases_dir.is_dir():
            return set()
        return {path.stem for path in self.databases_dir.glob("*.sqlite") if path.is_file()}

    def _refuse_case_twin(self, name: str, on_disk: set[str], but: str | None = None) -> None:
        """Names that differ only in case would share their files where file names ignore case
        (macOS and Windows by default); names that differ only in how their accents are encoded
        (one "é" or "e" and a combining accent) would share them on macOS. Both the open
        accounts and the database files are checked."""
        key = same_file_key(name)
        for other in sorted(self._open.keys() | on_disk):
            if other in (name, but) or same_file_key(other) != key:
                continue
            if other.casefold() == name.casefold():
                raise InvalidInputError(
                    f'Account "{name}" differs from the account "{other}" only in case; their '
                    "files would be the same on macOS and Windows. Choose another name."
                )
            raise InvalidInputError(
                f'Account "{name}" is the account "{other}" with its accents encoded another '
                "way; their files would be the same on macOS. Choose another name."
            )

    async def _open_account(
        self, name: str, created_at: int | None = None, floors: IdFloors | None = None
    ) -> Database:
        """Open (and migrate) the account's database; with ``floors``, it gives ids above them
        from the start, its task queue included."""
        try:
            return await self._open_database(name, created_at, floors)
        except OPEN_ERRORS as error:
            raise AccountOpenError(name, self.db_path(name), error) from error

    async def _open_database(
        self, name: str, created_at: int | None, floors: IdFloors | None
    ) -> Database:
        self.databases_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(refuse_cut_short, self.db_path(name))
        await asyncio.to_thread(refuse_newer, self.db_path(name), self._migrations)
        new_files = [path for path in self._sqlite_files(name) if not path.exists()]
        db = Database(
            self.db_path(name),
            readers=self._limits.db_readers_per_account,
            client_readers=self._limits.db_client_readers_per_account,
            busy_timeout_ms=self._limits.db_busy_timeout_ms,
        )
        stop = threading.Event()
        try:
            report = await db.write(
                lambda conn: migrate(conn, self._migrations, db.path, stop=stop)
            )
            if report.backup is not None:
                log.info(
                    "Upgraded %s to schema %d (backup %s)", name, report.to_version, report.backup
                )
            self._created_at[name] = await db.write(
                lambda conn: _ensure_created_at(
                    conn, created_at or int(db.path.stat().st_ctime * 1000)
                )
            )
            if floors is not None:
                await db.transaction(lambda connection: raise_floors(connection, floors))
            await abort_interrupted_files(db, self.files_dir(name))
            await asyncio.to_thread(_remove_trades_scratch, db.path)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):  # a stop: an upgrade ends at once
                stop.set()  # and stays stopped, if the interrupt came between two statements
                db.interrupt_writer()
            await db.close()
            if self.db_path(name) in new_files:  # no empty file that would open as an account
                for path in new_files:
                    path.unlink(missing_ok=True)
            raise
        self._open[name] = db
        for lifecycle in self._lifecycles:
            await lifecycle.account_opened(name, db)
        return db

    async def _close_account(self, name: str) -> None:
        for lifecycle in self._lifecycles:
            try:
                await lifecycle.account_closing(name)
            except Exception:
                log.exception("Closing %s in %r failed", name, lifecycle)
        db = self._open.pop(name, None)
        if name not in self._closed_for:
            self._created_at.pop(name, None)
        if db is not None:
            with contextlib.suppress(Exception):
                await db.write(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
            await db.close()

    def _remove_account_files(self, name: str) -> None:
        """Run on a thread: an account's files may take a while to remove."""
        for suffix in _SQLITE_SUFFIXES:
            self.db_path(name).with_name(f"{name}.sqlite{suffix}").unlink(missing_ok=True)
        for copy in upgrade_copies(self.db_path(name)):  # whole copies of the ledger
            copy.unlink(missing_ok=True)
        shutil.rmtree(self.files_dir(name), ignore_errors=True)
        shutil.rmtree(self.logs_dir(name), ignore_errors=True)
        (self.databases_dir / f"{name}.deleting").unlink(missing_ok=True)


def _floors_given(path: Path, floors: IdFloors) -> IdFloors:
    """``floors``, raised to those of the closed database at ``path`` if it can be read."""
    if not path.exists():
        return floors
    try:
        with contextlib.closing(connect_read_only(path)) as connection:
            return higher_floors(floors, read_floors(connection))
    except sqlite3.Error:
        log.warning("Could not read the ids %s gave; the reset keeps those read before", path)
        return floors


def _remove_trades_scratch(ledger: Path) -> None:
    """A trades run off the writer that a stop or a crash cut off left its scratch file.

    Its names are spelt out, never globbed: an account name may hold ``[`` ``]``, and another
    account's scratch file may start with this one's (``Main`` and ``Main-trades.scratch-x``).
    """
    scratch = trades_offline.scratch_path(ledger)
    for suffix in _SQLITE_SUFFIXES:
        scratch.with_name(f"{scratch.name}{suffix}").unlink(missing_ok=True)


def _path_part(name: str) -> str:
    """``name`` if it names one entry of a directory; a path never leaves the data dir."""
    if not name or name in (".", "..") or any(char in name for char in "/\\\0"):
        raise NotFoundError(f"Account {shown_name(name)} does not exist")
    return name


def shown_name(name: str) -> str:
    """``name`` quoted for a message, cut short."""
    return f'"{shortened(name, 80)}"'


def _ensure_created_at(connection: sqlite3.Connection, fallback: int) -> int:
    row = connection.execute(
        "SELECT value FROM key_value WHERE key = 'account_createdAt'"
    ).fetchone()
    if row is not None and isinstance(row[0], int):
        return row[0]
    connection.execute(
        "INSERT OR REPLACE INTO key_value (key, value) VALUES ('account_createdAt', ?)", (fallback,)
    )
    return fallback
