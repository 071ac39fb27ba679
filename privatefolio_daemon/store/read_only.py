"""A database the daemon cannot write. SQLite opens a file it may not write (another user's,
left by a start with ``sudo``) read-only without a word, and only the first write fails: the
daemon tries one at start, and says who must be able to write the file."""

import os
import sqlite3


def probe_write(connection: sqlite3.Connection) -> None:
    """Write the schema version over itself in a transaction rolled back: nothing changes on
    disk, and a database SQLite opened read-only raises its error."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        connection.execute("ROLLBACK")


def described(error: BaseException) -> str:
    """The error, and for a database SQLite could only open read-only, what to do."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None or code & 0xFF != sqlite3.SQLITE_READONLY:
        return str(error)
    user = _user()
    return (
        f"{error}: the daemon runs as {user}, who cannot write this file (or the -wal and -shm "
        f"files beside it). Give {user} write access to them (their owner or permissions), "
        "then start again."
    )


def _user() -> str:
    """The name of the user the process runs as (not the one who logged in)."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):  # Windows, or a user id without a name
        import getpass

        return getpass.getuser()
