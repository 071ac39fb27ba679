"""Shrinking an account's file once deletions (a removed file import or connection) left much of
it free: the pages stay in the file until a ``VACUUM`` gives them back to the disk."""

import sqlite3
from dataclasses import dataclass

from privatefolio_daemon.domain.derived_steps import Progress, SqlCancel
from privatefolio_daemon.domain.errors import DomainError
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.free_space import FreeSpace, free_space, vacuum
from privatefolio_daemon.store.seen_through import seen_through

COMPACT_DATABASE = "Compact database"


@dataclass(frozen=True, slots=True)
class CompactionThresholds:
    """When a deletion is followed by a compaction: at least this much of the file is free."""

    min_free_bytes: int
    min_free_fraction: float


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


class Compaction:
    def __init__(self, db: Database, thresholds: CompactionThresholds) -> None:
        self._db = db
        self._thresholds = thresholds

    async def free_space(self) -> FreeSpace:
        space: FreeSpace = await self._db.read(free_space)
        return space

    async def worthwhile(self) -> bool:
        space = await self.free_space()
        return (
            space.free_bytes >= self._thresholds.min_free_bytes
            and space.free_fraction >= self._thresholds.min_free_fraction
        )

    async def run(self, progress: Progress, cancel: SqlCancel) -> None:
        before = await self.free_space()
        progress(
            0,
            f"Compacting the database: {megabytes(before.free_bytes)} of "
            f"{megabytes(before.file_bytes)} is free",
        )
        await self._db.checkpointed()  # a removal's checkpoint would hold up the last step
        try:
            shrunk = await seen_through(self._db.write(cancel.guard_sql(vacuum)))
        except sqlite3.OperationalError as error:
            if "full" in str(error).lower():
                raise DomainError(
                    "Not enough free disk space to compact the database: it needs about "
                    f"{megabytes(before.file_bytes - before.free_bytes)} of temporary space"
                ) from error
            raise
        after = await self.free_space()
        later = "" if shrunk else " (the file shrinks once readers let go of the log)"
        progress(
            100,
            f"Gave {megabytes(before.file_bytes - after.file_bytes)} back to the disk; the "
            f"database is now {megabytes(after.file_bytes)}{later}",
        )
