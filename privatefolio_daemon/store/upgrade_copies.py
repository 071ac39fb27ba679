"""The copy made of a database before an upgrade, ``<name>.sqlite.pre-v<N>-<ms>.bak`` (``N`` the
first new schema version): the database as the version the user came from left it, which that
version can open.

One copy is kept, the last upgrade's. While an upgrade is under way the database notes its copy
in ``key_value`` (``upgrade_copy``), with each of its migrations but the last, which removes the
note. An upgrade cut off by a stop or a crash goes on at the next start with that copy, rather
than with a copy of the half-upgraded database, which the user's version could not open.

Names are matched exactly, never as a glob: an account name may hold ``[`` ``]``, and another
account's files may start with this one's name (``Main`` and ``Main.sqlite.x``).
"""

import re
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.timeutil import now_ms

#: After ``<database>``: a copy, and the journal that ``VACUUM INTO`` cut off may leave beside it.
_COPY_SUFFIX = r"\.pre-v\d+-\d+\.bak(?:-journal|-wal|-shm)?"
_NOTED_SUFFIX = re.compile(r"\.pre-v\d+-\d+\.bak")
_COPY_KEY = "upgrade_copy"


def upgrade_copies(db_path: Path) -> list[Path]:
    """The copies made before upgrades of the database at ``db_path``, with their journals."""
    copy_name = re.compile(re.escape(db_path.name) + _COPY_SUFFIX)
    return [copy for copy in db_path.parent.iterdir() if copy_name.fullmatch(copy.name)]


def new_copy_path(db_path: Path, version: int) -> Path:
    """Where the copy of ``db_path`` at schema ``version`` goes."""
    return db_path.with_name(f"{db_path.name}.pre-v{version + 1}-{now_ms()}.bak")


def make_copy(connection: sqlite3.Connection, copy: Path) -> None:
    """Copy the database to ``copy``; a copy cut off (by a stop, say) is no copy, and goes."""
    try:
        connection.execute("VACUUM INTO ?", (str(copy),))
    except BaseException:
        remove_copy(copy)
        raise


def remove_copy(copy: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        copy.with_name(f"{copy.name}{suffix}").unlink(missing_ok=True)


def remove_older_copies(db_path: Path, kept: Path) -> None:
    """Copies made by earlier upgrades would pile up, each a whole database: all but ``kept``
    go."""
    for copy in upgrade_copies(db_path):
        if copy != kept:
            copy.unlink(missing_ok=True)


def copy_of_cut_off_upgrade(connection: sqlite3.Connection, db_path: Path) -> Path | None:
    """The copy an upgrade of this database made before it was cut off, if it is still there."""
    if not _has_key_value(connection):
        return None
    row = connection.execute("SELECT value FROM key_value WHERE key = ?", (_COPY_KEY,)).fetchone()
    if row is None or not isinstance(row[0], str) or not _NOTED_SUFFIX.fullmatch(row[0]):
        return None
    copy = db_path.with_name(f"{db_path.name}{row[0]}")
    return copy if copy.is_file() else None


def note_copy(connection: sqlite3.Connection, db_path: Path, copy: Path | None) -> None:
    """In a migration's transaction: ``copy`` is the copy of the upgrade under way (``None``:
    the upgrade is over, or made none)."""
    if not _has_key_value(connection):
        return
    if copy is None:
        connection.execute("DELETE FROM key_value WHERE key = ?", (_COPY_KEY,))
        return
    suffix = copy.name.removeprefix(db_path.name)
    connection.execute(
        "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)", (_COPY_KEY, suffix)
    )


def _has_key_value(connection: sqlite3.Connection) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'key_value'"
    return connection.execute(sql).fetchone() is not None
