"""An account database of an older schema, backed up as it is by the offline ``backup``.

Opening an account upgrades its database, so an offline backup that opened it would leave the
data dir upgraded: the backup a user takes before starting a new version, to go back to the old
one, would come too late. A database of an older schema is read as it is instead, read-only,
and a restore upgrades it, as it does any backup of an older schema (``database_check.py``
checks it against the migrations up to its version, ``renewal.py`` applies the rest).

A database whose tables are not those of its version (migration 0006 changed twice after builds
had applied it) would make a backup no restore accepts: that backup is refused, saying that
starting the daemon upgrades the database, and where the upgrade keeps its copy.
"""

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from privatefolio_daemon.domain.backup.database_check import check_shape
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.store.cut_short import CutShort, refuse_cut_short
from privatefolio_daemon.store.migrations import Migration, latest_version

_HEADER = b"SQLite format 3\x00"
#: Beside a database whose deletion or reset a crash cut off: opening the account finishes it.
_UNFINISHED = (".deleting", ".resetting")
#: What SQLite makes beside a database in WAL mode that a connection opens, a read-only one too.
_COMPANIONS = ("-wal", "-shm")


def older_schema(path: Path, migrations: list[Migration]) -> int | None:
    """The schema version of the database at ``path`` when an older version wrote it; None when
    it is of the current schema, or is no sound database, or a crash left its account's
    deletion or reset unfinished (opening the account deals with those)."""
    unfinished = [path.with_name(f"{path.stem}{marker}") for marker in _UNFINISHED]
    if not path.is_file() or any(marker.exists() for marker in unfinished):
        return None
    try:
        refuse_cut_short(path)
        version = _schema_version(path)
    except (CutShort, OSError, sqlite3.Error):
        return None
    return version if 0 < version < latest_version(migrations) else None


def refuse_unrestorable(
    path: Path, account: str, migrations: list[Migration], version: int
) -> None:
    """Raise ``BackupError`` when a restore would refuse a backup of the database at ``path``
    (of the older schema ``version``) as it is."""
    try:
        with _read_only(path) as connection:
            check_shape(connection, migrations, version)
    except BackupError as error:
        raise BackupError(
            f'The database of account "{account}" has schema version {version}, but not the '
            "tables this privatefolio-daemon knows for that version (an earlier build of it "
            "wrote them otherwise), so no restore would accept a backup of it as it is. Start "
            "privatefolio-daemon once: it upgrades the database to version "
            f"{latest_version(migrations)}, keeping a copy of it as it is now beside it "
            f"({path.name}.pre-v{version + 1}-<ms>.bak); then back it up."
        ) from error


def _schema_version(path: Path) -> int:
    """``user_version``, from the file's header unless a log beside it may hold a newer one."""
    if not path.with_name(f"{path.name}-wal").exists():
        with path.open("rb") as handle:
            header = handle.read(100)
        if len(header) == 100 and header.startswith(_HEADER):
            return int.from_bytes(header[60:64], "big")
        return 0
    with _read_only(path) as connection:
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        return version


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that cannot write the database, nor checkpoint its log into it."""
    reading = f"{path.resolve().as_uri()}?mode=ro"
    with left_as_found(path), contextlib.closing(sqlite3.connect(reading, uri=True)) as connection:
        yield connection


@contextlib.contextmanager
def left_as_found(path: Path) -> Iterator[None]:
    """Remove what reading the database in WAL mode makes beside it (an empty log, the index of
    the log) when it was not there before: the data dir is left as the backup found it."""
    companions = [path.with_name(f"{path.name}{suffix}") for suffix in _COMPANIONS]
    made = [companion for companion in companions if not companion.exists()]
    try:
        yield
    finally:
        for companion in made:
            with contextlib.suppress(OSError):
                if companion.name.endswith("-shm") or companion.stat().st_size == 0:
                    companion.unlink()
