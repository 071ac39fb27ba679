"""Numbered SQL migrations, tracked with ``PRAGMA user_version``.

``schema/<kind>/0001_name.sql`` … are applied in order, each in one transaction together with the
new ``user_version``. An existing database is copied with ``VACUUM INTO`` before it is upgraded
(``store.upgrade_copies``; an upgrade cut off goes on with its copy), a stop asked for sticks
until the upgrade stops, and a database newer than the code is refused.
"""

import contextlib
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from privatefolio_daemon.store.upgrade_copies import (
    copy_of_cut_off_upgrade,
    make_copy,
    new_copy_path,
    note_copy,
    remove_copy,
    remove_older_copies,
)

log = logging.getLogger(__name__)

_FILE_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
#: ``superseded/<NNNN>_<name>.<commit>.sql``: a text migration ``NNNN`` had in a release.
_SUPERSEDED_NAME = re.compile(r"^(\d{4})_[\w-]+\.\w+\.sql$")
#: How many of SQLite's steps run between two looks at a stop asked for during an upgrade.
_STOP_CHECK_STEPS = 1000


class SchemaTooNew(Exception):
    """The database was written by a newer version of the daemon."""


class UpgradeStopped(Exception):
    """A stop cut the upgrade off; the versions it completed stay."""


class DatabaseOpenError(Exception):
    """A database that cannot be opened or upgraded; the message names its file."""


#: What opening or upgrading a database raises when the file is not fit to open.
OPEN_ERRORS = (OSError, sqlite3.Error, SchemaTooNew, RuntimeError)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    path: Path


@dataclass(frozen=True, slots=True)
class MigrationReport:
    from_version: int
    to_version: int
    backup: Path | None


def load_migrations(directory: Path) -> list[Migration]:
    migrations = []
    for path in sorted(directory.iterdir()):
        match = _FILE_NAME.match(path.name)
        if match:
            migrations.append(Migration(int(match.group(1)), path))
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"Migrations in {directory} must be numbered 0001, 0002, … without gaps")
    return migrations


def load_superseded(migrations: list[Migration]) -> list[Migration]:
    """The texts released migrations had before they were edited in place, from the folder
    ``superseded`` beside them: databases made with one have other tables until a later
    migration mends them."""
    directory = migrations[0].path.parent / "superseded" if migrations else None
    if directory is None or not directory.is_dir():
        return []
    return [
        Migration(int(match.group(1)), path)
        for path in sorted(directory.iterdir())
        if (match := _SUPERSEDED_NAME.match(path.name))
    ]


def latest_version(migrations: list[Migration]) -> int:
    return migrations[-1].version if migrations else 0


def refuse_newer(db_path: Path, migrations: list[Migration]) -> None:
    """Refuse a database written by a newer daemon, reading it without changing a byte."""
    if not db_path.exists():
        return
    current = _header_user_version(db_path)
    if current is None:  # the log may hold a newer header: SQLite reads it
        connection = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            current = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.close()
    _check_version(current, migrations, db_path)


def _header_user_version(db_path: Path) -> int | None:
    """The schema version in the file's header (bytes 60–63, big-endian), read without SQLite,
    which would create the ``-wal`` and ``-shm`` files of a database it opens; ``None`` when a
    log beside the file may hold a newer header, or the file is not a database."""
    if db_path.with_name(f"{db_path.name}-wal").exists():
        return None
    with db_path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None
    return int.from_bytes(header[60:64], "big")


def _check_version(current: int, migrations: list[Migration], db_path: Path) -> None:
    latest = latest_version(migrations)
    if current > latest:
        raise SchemaTooNew(
            f"{db_path.name} has schema version {current}, but this privatefolio-daemon only knows "
            f"versions up to {latest}. It was written by a newer version: upgrade "
            "privatefolio-daemon to open it."
        )


def migrate(
    connection: sqlite3.Connection,
    migrations: list[Migration],
    db_path: Path,
    copy_first: bool = True,
    stop: threading.Event | None = None,
) -> MigrationReport:
    """Upgrade the database to the latest schema, copying it first unless it is new or
    ``copy_first`` is false (a copy staged by a restore: its backup is the copy).

    Once ``stop`` is set the upgrade stops (``UpgradeStopped``) before the copy, or before the
    next migration commits, keeping the versions it completed: an interrupt that reached SQLite
    while no statement ran would have been lost."""
    _check_stop(stop)
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    latest = latest_version(migrations)
    _check_version(current, migrations, db_path)
    if current == latest:
        return MigrationReport(current, current, None)
    pending = [migration for migration in migrations if migration.version > current]
    copied = current > 0 and copy_first
    with _stoppable(connection, stop):
        kept = copy_of_cut_off_upgrade(connection, db_path) if copied else None
        copy = new_copy_path(db_path, current) if copied and kept is None else None
        _announce(db_path, current, latest, kept, copy)
        made = _copy(connection, copy, stop) if copy is not None else None
        backup = kept or made
        try:
            for migration in pending:
                noted = backup if migration is not pending[-1] else None
                _apply(connection, migration, stop, partial(note_copy, db_path=db_path, copy=noted))
        except BaseException:
            if made is not None and _version(connection) == current:  # the same as the database
                remove_copy(made)
            raise
    if backup is not None:
        remove_older_copies(db_path, backup)
    return MigrationReport(current, latest, backup)


def _announce(
    db_path: Path, current: int, latest: int, kept: Path | None, copy: Path | None
) -> None:
    """An upgrade may take a while, a copy of the whole database first: say so as it starts."""
    if current == 0:
        return
    upgrading = f"Upgrading {db_path} from schema {current} to {latest}"
    if kept is not None:
        log.info("%s, going on with an upgrade cut off before (%s holds it)", upgrading, kept.name)
    elif copy is not None:
        log.info("%s; copying it first to %s", upgrading, copy.name)
    else:
        log.info("%s", upgrading)


def _copy(connection: sqlite3.Connection, copy: Path, stop: threading.Event | None) -> Path:
    make_copy(connection, copy)
    try:
        _check_stop(stop)  # a stop during the copy's last sync, which no interrupt cuts off
    except UpgradeStopped:
        remove_copy(copy)
        raise
    return copy


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


@contextlib.contextmanager
def _stoppable(connection: sqlite3.Connection, stop: threading.Event | None) -> Iterator[None]:
    """While ``stop`` is set, SQLite aborts every statement of the upgrade as it runs."""
    if stop is None:
        yield
        return
    connection.set_progress_handler(stop.is_set, _STOP_CHECK_STEPS)
    try:
        yield
    finally:
        connection.set_progress_handler(None, 0)


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise UpgradeStopped("The upgrade was stopped")


def _apply(
    connection: sqlite3.Connection,
    migration: Migration,
    stop: threading.Event | None,
    before_commit: Callable[[sqlite3.Connection], object],
) -> None:
    """Run the migration and ``before_commit`` in one transaction with the new version."""
    script = migration.path.read_text(encoding="utf-8")
    try:
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}\n;PRAGMA user_version = {migration.version};"
        )
        before_commit(connection)
        _check_stop(stop)
        connection.execute("COMMIT")
    except BaseException as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            _check_stop(stop)  # interrupted by the stop
            raise RuntimeError(f"Migration {migration.path.name} failed: {error}") from error
        raise
