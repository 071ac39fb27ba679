"""Numbered SQL migrations, tracked with ``PRAGMA user_version``.

``schema/<kind>/0001_name.sql`` … are applied in order, each in one transaction together with the
new ``user_version``. An existing database is copied with ``VACUUM INTO`` before it is upgraded,
and a database newer than the code is refused.
"""

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from privatefolio_daemon.domain.timeutil import now_ms

_FILE_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
#: ``superseded/<NNNN>_<name>.<commit>.sql``: a text migration ``NNNN`` had in a release.
_SUPERSEDED_NAME = re.compile(r"^(\d{4})_[\w-]+\.\w+\.sql$")
#: After ``<database>``: a copy made before an upgrade, ``.pre-v<N>-<ms>.bak``, and the journal
#: that ``VACUUM INTO`` cut off may leave beside it.
_COPY_SUFFIX = r"\.pre-v\d+-\d+\.bak(?:-journal|-wal|-shm)?"


class SchemaTooNew(Exception):
    """The database was written by a newer version of the daemon."""


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
) -> MigrationReport:
    """Upgrade the database to the latest schema, copying it first unless it is new or
    ``copy_first`` is false (a copy staged by a restore: its backup is the copy)."""
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    latest = latest_version(migrations)
    _check_version(current, migrations, db_path)
    if current == latest:
        return MigrationReport(current, current, None)
    copied = current > 0 and copy_first
    backup = _backup_before_upgrade(connection, db_path, current) if copied else None
    for migration in migrations:
        if migration.version > current:
            _apply(connection, migration)
    if backup is not None:
        _remove_older_copies(db_path, backup)
    return MigrationReport(current, latest, backup)


def _remove_older_copies(db_path: Path, kept: Path) -> None:
    """One copy from before an upgrade is kept: the last one. Copies made by earlier upgrades,
    or by starts cut off while they upgraded, would otherwise pile up, each a whole database.

    Names are matched exactly, never as a glob: an account name may hold ``[`` ``]``, and
    another account's files may start with this one's name (``Main`` and ``Main.sqlite.x``).
    """
    for copy in upgrade_copies(db_path):
        if copy != kept:
            copy.unlink(missing_ok=True)


def upgrade_copies(db_path: Path) -> list[Path]:
    """The copies made before upgrades of the database at ``db_path``, with their journals;
    names matched exactly (see ``_remove_older_copies``)."""
    copy_name = re.compile(re.escape(db_path.name) + _COPY_SUFFIX)
    return [copy for copy in db_path.parent.iterdir() if copy_name.fullmatch(copy.name)]


def _apply(connection: sqlite3.Connection, migration: Migration) -> None:
    script = migration.path.read_text(encoding="utf-8")
    try:
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
        )
    except sqlite3.Error as error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise RuntimeError(f"Migration {migration.path.name} failed: {error}") from error


def _backup_before_upgrade(connection: sqlite3.Connection, db_path: Path, version: int) -> Path:
    backup = db_path.with_name(f"{db_path.name}.pre-v{version + 1}-{now_ms()}.bak")
    try:
        connection.execute("VACUUM INTO ?", (str(backup),))
    except BaseException:  # a copy cut off (interrupted by a stop, say) is no copy
        for suffix in ("", "-journal", "-wal", "-shm"):
            backup.with_name(f"{backup.name}{suffix}").unlink(missing_ok=True)
        raise
    return backup
