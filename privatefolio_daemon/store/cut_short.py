"""A database file cut short: empty, or ending within a page or before the pages its header
counts (a crash, a failed copy). SQLite opens an empty file as a new, empty database, and
deletes the log beside it; a file that ends within its last page reads as whole until a query
reaches the lost bytes. The daemon never leaves either (a database it creates has its first
page once opened), so both are damaged, as a corrupt file is."""

import sqlite3
from pathlib import Path

_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100


class CutShort(sqlite3.DatabaseError):
    """A database file cut short: damaged (``open_failures.is_damaged``)."""


def refuse_cut_short(path: Path) -> None:
    """Raise ``CutShort`` for a database file that is empty or, with no log or journal that
    SQLite would replay (a checkpoint or a rollback cut off leaves the file short until then),
    ends within a page or before the pages its header counts. A file that is missing, or not a
    database at all, is left to SQLite."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        raise CutShort("file is empty (0 bytes), not a database")
    if any(_holds_anything(path.with_name(f"{path.name}{s}")) for s in ("-wal", "-journal")):
        return
    with path.open("rb") as handle:
        header = handle.read(_HEADER_BYTES)
    page_bytes = _page_bytes(header)
    if page_bytes is None:
        return
    if size % page_bytes:
        raise CutShort(
            f"file is cut short: its {size:,} bytes end within a page of {page_bytes:,} bytes"
        )
    counted = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and counted * page_bytes > size:  # the count is valid
        raise CutShort(
            f"file is cut short: it holds {size // page_bytes:,} of the {counted:,} pages its "
            "header counts"
        )


def empty_and_alone(path: Path) -> bool:
    """An empty file with no log or journal beside it that holds anything: there is nothing in
    it to lose (what a first start stopped before its first commit leaves, too)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return size == 0 and not any(
        _holds_anything(path.with_name(f"{path.name}{s}")) for s in ("-wal", "-journal")
    )


def _holds_anything(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _page_bytes(header: bytes) -> int | None:
    """The page size a database header states; None for what is no database header."""
    if len(header) < _HEADER_BYTES or not header.startswith(_MAGIC):
        return None
    stated = int.from_bytes(header[16:18], "big")
    page_bytes = 65536 if stated == 1 else stated
    if page_bytes < 512 or page_bytes & (page_bytes - 1):
        return None
    return page_bytes
