"""What an error opening a database says about it: the file is damaged, or the disk is full."""

import errno
import sqlite3

from privatefolio_daemon.store.cut_short import CutShort


def is_damaged(error: BaseException) -> bool:
    """The file is not a database, or its pages are corrupt or cut short: only a backup can
    mend it."""
    return any(
        isinstance(cause, CutShort)
        or _sqlite_code(cause) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
        for cause in _chain(error)
    )


def is_disk_full(error: BaseException) -> bool:
    return any(
        _sqlite_code(cause) == sqlite3.SQLITE_FULL
        or (isinstance(cause, OSError) and cause.errno == errno.ENOSPC)
        for cause in _chain(error)
    )


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from (a failed migration wraps SQLite's)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__
    return chain


def _sqlite_code(error: BaseException) -> int | None:
    """SQLite's primary result code (an extended code's low byte)."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or not isinstance(code, int):
        return None
    return code & 0xFF
