"""A database file whose path no longer names the file the daemon has open.

Deleted, or replaced by another file, while the daemon runs: SQLite goes on writing to the file
it has open, which nothing can reach once it is closed, so what is written is lost at the next
start. ``Database`` asks ``FileWatch.check`` before each write (one ``stat``: a few
microseconds) and from then on refuses to write. What its connection still reads is saved with
``VACUUM INTO`` to ``<name>.recovered-<ms>`` beside the path, never over a file that exists.
"""

import logging
import os
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.durable_files import sync_directory

log = logging.getLogger(__name__)

#: ``st_dev`` and ``st_ino``: which file a path names.
FileIdentity = tuple[int, int]

#: The files SQLite keeps beside a database: its log, the log's index, a rollback journal.
COMPANIONS = ("-wal", "-shm", "-journal")

_HELP = 'see "A database file deleted or replaced" in the README'


class DatabaseFileGone(Exception):
    """The database's path no longer names the file the daemon has open; nothing more is
    written to it. The message says what happened and where its data was saved."""


def file_identity(path: Path) -> FileIdentity | None:
    """Which file ``path`` names; None when it names none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def _identity_or_unknown(path: Path) -> FileIdentity | bool | None:
    """``file_identity``, or False when the path cannot be looked at (no permission, a stale
    network handle): writes then go on as before, the file being the one open."""
    try:
        return file_identity(path)
    except OSError as error:
        log.warning("Cannot tell whether %s is still the file open (%s)", path, error)
        return False


def remove_companions(path: Path) -> list[Path]:
    """Remove the log, index and journal of the database at ``path``; returns those removed."""
    removed = []
    for suffix in COMPANIONS:
        companion = path.with_name(f"{path.name}{suffix}")
        if companion.exists():
            companion.unlink()
            removed.append(companion)
    return removed


def orphan_companions(directory: Path) -> list[Path]:
    """The logs, indexes and journals of ``*.sqlite`` files in ``directory`` that are gone."""
    orphans = []
    for entry in directory.iterdir():
        for suffix in COMPANIONS:
            database = entry.name.removesuffix(suffix)
            gone = not entry.with_name(database).exists()
            if database != entry.name and database.endswith(".sqlite") and gone:
                orphans.append(entry)
    return sorted(orphans)


class FileWatch:
    """Whether a database's path still names the file its connections opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: FileIdentity | None = None
        self.happened: str | None = None
        self._saved: Path | None = None
        self._log_emptied = False

    def opened(self) -> None:
        """The writer has just opened the file at the path."""
        self._identity = file_identity(self.path)

    def in_place(self) -> bool:
        """Whether the path names the file the writer opened (or the writer has not opened, or
        the path cannot be looked at)."""
        if self._identity is None:
            return True
        current = _identity_or_unknown(self.path)
        return current is False or current == self._identity

    def check(self, connection: sqlite3.Connection) -> None:
        """On the writer: raise ``DatabaseFileGone`` once the path names another file or none,
        having first saved what ``connection`` reads (tried again until it succeeds)."""
        if self.happened is None:
            if self.in_place():
                return
            current = _identity_or_unknown(self.path)
            self.happened = "was deleted" if current is None else "was replaced by another file"
        if not self._log_emptied:
            self._log_emptied = _empty_log(connection, self.path)
        if self._saved is None:
            self._save(connection)
        raise DatabaseFileGone(self._message())

    def settle(self, connection: sqlite3.Connection) -> None:
        """On the writer, its readers closed: empty the log if a reader kept it from that."""
        if self.happened is not None and not self._log_emptied:
            self._log_emptied = _empty_log(connection, self.path)

    def closed(self) -> None:
        """The connections are closed: SQLite leaves the log and its index beside a file it
        finds deleted, and they are removed while the path still names no file."""
        if file_identity(self.path) is None:
            for companion in remove_companions(self.path):
                log.info("Removed %s, left by %s", companion.name, self.path)

    def _save(self, connection: sqlite3.Connection) -> None:
        try:
            self._saved = save_copy(connection, self.path)
        except (OSError, sqlite3.Error) as error:
            log.error("%s Its data could not be saved: %s", self._what(), error)
        else:
            log.error("%s", self._message())

    def _what(self) -> str:
        return (
            f"The database file {self.path} {self.happened} while the daemon had it open, "
            "so nothing more is written to it."
        )

    def _message(self) -> str:
        if self._saved is None:
            return (
                f"{self._what()} Its data could not be saved (the daemon tries again at each "
                f"write and when it stops): {_HELP}."
            )
        return f"{self._what()} What it held is saved in {self._saved}: {_HELP}."


def save_copy(connection: sqlite3.Connection, path: Path) -> Path:
    """``VACUUM INTO`` a new file ``<name>.recovered-<ms>`` beside ``path``, written under a
    ``.partial`` name first, so that the name only ever holds a whole copy."""
    stamp = now_ms()
    copy = path.with_name(f"{path.name}.recovered-{stamp}")
    while copy.exists() or copy.with_name(f"{copy.name}.partial").exists():
        stamp += 1
        copy = path.with_name(f"{path.name}.recovered-{stamp}")
    partial = copy.with_name(f"{copy.name}.partial")
    try:
        connection.execute("VACUUM INTO ?", (str(partial),))
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        if copy.exists():  # a rename would replace it
            raise FileExistsError(f"{copy} appeared while the copy was made")
        partial.rename(copy)
    except BaseException:
        for leftover in (partial, partial.with_name(f"{partial.name}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    sync_directory(copy.parent)
    return copy


def _empty_log(connection: sqlite3.Connection, path: Path) -> bool:
    """Copy the log into the file the connection has open and empty it: the log at the path
    would otherwise be read as part of the file now there, or of one created there later.
    Whether it is empty: a reader in a transaction keeps it (tried again at the next write and
    once the readers are closed)."""
    try:
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.Error as error:
        log.warning("Emptying the log of %s failed: %s", path, error)
        return False
    if busy:
        log.warning("The log of %s could not be emptied yet: a read holds it", path)
    return not busy
