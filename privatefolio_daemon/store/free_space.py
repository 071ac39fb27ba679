"""The free pages inside a database file, and giving them back to the disk (``VACUUM``).

Deleting rows leaves their pages free inside the file: SQLite reuses them for new rows but never
shrinks the file. ``VACUUM`` rewrites it without them, keeping every rowid. It holds the writer
for as long as the rewrite takes and needs as much temporary disk space as the live data; it is
all or nothing, so an interrupted or failed one leaves the file as it was.
"""

import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FreeSpace:
    page_bytes: int
    pages: int
    free_pages: int

    @property
    def file_bytes(self) -> int:
        return self.page_bytes * self.pages

    @property
    def free_bytes(self) -> int:
        return self.page_bytes * self.free_pages

    @property
    def free_fraction(self) -> float:
        return self.free_pages / self.pages if self.pages else 0.0


def free_space(connection: sqlite3.Connection) -> FreeSpace:
    def pragma(name: str) -> int:
        return int(connection.execute(f"PRAGMA {name}").fetchone()[0])

    return FreeSpace(pragma("page_size"), pragma("page_count"), pragma("freelist_count"))


def vacuum(connection: sqlite3.Connection) -> bool:
    """Rewrite the file without its free pages, then fold the log into it, which is when the file
    shrinks on disk; False if readers kept it from that (a later checkpoint does it)."""
    connection.execute("VACUUM")
    return truncate_log(connection)


def truncate_log(connection: sqlite3.Connection, patience_seconds: float = 5.0) -> bool:
    """Copy the whole write-ahead log into the file and empty it, waiting for readers and another
    checkpoint to finish (up to ``patience_seconds``); False if they did not."""
    deadline = time.monotonic() + patience_seconds
    while True:
        busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
