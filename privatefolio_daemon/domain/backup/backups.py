"""Making backups: snapshot, zip, store as a server file, keep the last N.

A backup is ``<account>-backup.zip``, a system server file holding ``database.sqlite``, the
account's user files (``files/<id>``), its task logs (``logs/server_task_<id>.log``) and
``manifest.json``. Everything runs on worker threads and streams from disk to disk.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.accounts import AccountRegistry
from privatefolio_daemon.domain.backup.archive_writer import ArchiveSource, write_archive
from privatefolio_daemon.domain.backup.manifest import (
    DATABASE_NAME,
    FORMAT_VERSION,
    Manifest,
    ManifestEntry,
)
from privatefolio_daemon.domain.backup.older_schema import left_as_found
from privatefolio_daemon.domain.backup.progress_bridge import Checkpoint, Report, ThreadReport
from privatefolio_daemon.domain.backup.snapshot import snapshot_database
from privatefolio_daemon.domain.server_files import ServerFiles
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.store.seen_through import seen_through

BACKUP_SUFFIX = "-backup.zip"
ZIP_TYPE = "application/zip"
#: Temporary files start with this; start-up removes leftovers (``swap.recover_restores``).
TEMP_PREFIX = ".backup-"


class Backups:
    def __init__(
        self,
        accounts: AccountRegistry,
        files_of: Callable[[str], ServerFiles],
        *,
        app_version: str,
        keep_last: int,
    ) -> None:
        self._accounts = accounts
        self._files_of = files_of
        self._app_version = app_version
        self._keep_last = keep_last

    async def create(
        self, account: str, report: Report, checkpoint: Checkpoint, task_id: int | None = None
    ) -> dict[str, Any]:
        """Back the account up as a server file; returns its record. Older backups beyond the
        last ``keep_last`` are deleted."""
        self._accounts.get(account)
        files = self._files_of(account)
        files.directory.mkdir(parents=True, exist_ok=True)
        partial = files.directory / f"{TEMP_PREFIX}{now_ms()}.zip"
        try:
            manifest = await self.write(account, partial, report, checkpoint, task_id)
            saving = files.save_generated_file(
                f"{account}{BACKUP_SUFFIX}",
                ZIP_TYPE,
                partial,
                f"Backup of {account}: {len(manifest.entries)} entries, schema "
                f"{manifest.schema_version}",
            )
            record = await seen_through(saving)  # the zip is whole: it is kept, and completed
        finally:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        await self.prune(account)
        return record

    async def write(
        self,
        account: str,
        target: Path,
        report: Report,
        checkpoint: Checkpoint,
        task_id: int | None = None,
    ) -> Manifest:
        """Write a backup zip of the account to ``target``."""
        self._accounts.get(account)
        return await self._write(account, target, report, checkpoint, task_id)

    async def write_unopened(
        self, account: str, target: Path, report: Report, checkpoint: Checkpoint
    ) -> Manifest:
        """Write a backup zip of an account the daemon has not opened, its database as it is
        on disk: the offline backup of a database of an older schema, which opening would
        upgrade (``older_schema.py``)."""
        with left_as_found(self._accounts.db_path(account)):
            return await self._write(account, target, report, checkpoint, None)

    async def _write(
        self,
        account: str,
        target: Path,
        report: Report,
        checkpoint: Checkpoint,
        task_id: int | None,
    ) -> Manifest:
        files_dir = self._accounts.files_dir(account)
        await asyncio.to_thread(files_dir.mkdir, parents=True, exist_ok=True)
        snapshot = files_dir / f"{TEMP_PREFIX}{now_ms()}.sqlite"
        report(0, "Taking a snapshot of the database")
        try:
            version = await asyncio.to_thread(
                snapshot_database,
                self._accounts.db_path(account),
                snapshot,
                on_progress=ThreadReport(report, 0, 30).fraction,
                checkpoint=checkpoint,
                completed_task_id=task_id,
            )
            sources = await asyncio.to_thread(self._sources, account, snapshot)
            report(30, f"Compressing {len(sources)} entries")
            created_at = now_ms()

            def manifest_json(entries: dict[str, ManifestEntry]) -> bytes:
                return self._manifest(account, version, created_at, entries).to_json()

            entries = await asyncio.to_thread(
                write_archive,
                target,
                sources,
                manifest_json,
                on_progress=ThreadReport(report, 30, 100).bytes,
                checkpoint=checkpoint,
            )
        finally:
            await asyncio.to_thread(snapshot.unlink, missing_ok=True)
        manifest = self._manifest(account, version, created_at, entries)
        size = await asyncio.to_thread(lambda: target.stat().st_size)
        report(100, f"Backup written: {len(entries)} entries, {size / 2**20:.1f} MiB")
        return manifest

    async def prune(self, account: str) -> None:
        """Delete the account's backup files beyond the newest ``keep_last``."""
        rows = await self._accounts.get(account).fetch_all(
            "SELECT id FROM server_files WHERE createdBy = 'system' AND name LIKE ? "
            "AND status = 'completed' ORDER BY id DESC",
            (f"%{BACKUP_SUFFIX}",),
        )
        files = self._files_of(account)
        for (file_id,) in rows[self._keep_last :]:
            await files.delete(file_id)

    def _manifest(
        self, account: str, version: int, created_at: int, entries: dict[str, ManifestEntry]
    ) -> Manifest:
        return Manifest(FORMAT_VERSION, self._app_version, version, account, created_at, entries)

    def _sources(self, account: str, snapshot: Path) -> list[ArchiveSource]:
        """The database, then the user files the snapshot knows of, then the task logs."""
        sources = [ArchiveSource(DATABASE_NAME, snapshot)]
        files_dir = self._accounts.files_dir(account)
        for file_id in _user_file_ids(snapshot):
            path = files_dir / str(file_id)
            if path.is_file():
                sources.append(ArchiveSource(f"files/{file_id}", path, optional=True))
        logs_dir = self._accounts.logs_dir(account)
        for log in sorted(logs_dir.glob("server_task_*.log"), key=_task_number):
            if log.is_file() and not log.is_symlink():
                sources.append(ArchiveSource(f"logs/{log.name}", log, optional=True))
        return sources


def _user_file_ids(database: Path) -> list[int]:
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT id FROM server_files WHERE createdBy = 'user' ORDER BY id"
        ).fetchall()
    finally:
        connection.close()
    return [int(row[0]) for row in rows]


def _task_number(path: Path) -> int:
    with contextlib.suppress(ValueError):
        return int(path.stem.removeprefix("server_task_"))
    return 0
