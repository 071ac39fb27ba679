"""When each cron job last ran, in the server database's ``key_value``, so that a restart
keeps the schedule (``relayer/crons.py``)."""

from collections.abc import Iterable, Mapping

from privatefolio_daemon.store.database import Database

KEY_PREFIX = "cronLastRun:"


class CronRuns:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_runs(self) -> dict[str, int]:
        """Job id → when it last started (UTC ms)."""
        rows = await self._db.fetch_all(
            "SELECT substr(key, ?), value FROM key_value WHERE substr(key, 1, ?) = ?",
            (len(KEY_PREFIX) + 1, len(KEY_PREFIX), KEY_PREFIX),
        )
        return {job_id: int(at) for job_id, at in rows if isinstance(at, int)}

    async def record(self, job_id: str, at: int) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)", (KEY_PREFIX + job_id, at)
        )

    async def carry(self, moves: Mapping[str, str]) -> None:
        """Each job renamed (old id → new id) takes its old id's last run, if it had one."""
        await self._db.execute_many(
            "UPDATE OR REPLACE key_value SET key = ? WHERE key = ?",
            [(KEY_PREFIX + new, KEY_PREFIX + old) for old, new in moves.items()],
        )

    async def forget(self, job_ids: Iterable[str]) -> None:
        await self._db.execute_many(
            "DELETE FROM key_value WHERE key = ?", [(KEY_PREFIX + job_id,) for job_id in job_ids]
        )
