"""Importing an uploaded CSV file: all of it in one transaction, or nothing.

A large file is parsed by several worker processes into shard files first
(``parallel_import``), which the writer thread then copies into the ledger. Any other file is
streamed from disk and parsed batch by batch on the writer thread. Either way the rows are
written inside a single transaction, so a bad row, a cancel or a crash leaves the account
exactly as it was.
"""

import asyncio
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from privatefolio_daemon.domain.derived_steps import Progress, SqlCancel
from privatefolio_daemon.domain.errors import ConflictError, InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.import_plan import LEDGER_TABLES, should_bulk_load
from privatefolio_daemon.domain.invalidation import PriceInvalidation, ledger_invalidation
from privatefolio_daemon.domain.merged_transactions import split_merges_of
from privatefolio_daemon.domain.parallel_import import (
    ImportWorkerError,
    ParsedShards,
    parse_in_parallel,
)
from privatefolio_daemon.domain.server_files import IMPORT_SCRATCH_PREFIX, ServerFiles
from privatefolio_daemon.domain.stale_announcements import announce_deleted, announce_stale
from privatefolio_daemon.domain.tefas_funds import price_lira_funds_with_tefas
from privatefolio_daemon.domain.thread_progress import Report, thread_safe
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    ParserContext,
    Requirement,
)
from privatefolio_daemon.sources.importers.csv_rows import line_of_row
from privatefolio_daemon.sources.importers.file_text import read_text
from privatefolio_daemon.sources.importers.parse_file import (
    NUL_CHARACTERS,
    Batch,
    ImportMeta,
    Restart,
    StreamingImport,
    file_import_id,
)
from privatefolio_daemon.sources.importers.registry import requirements_for
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store.bulk_delete import count_where_equal, delete_where_equal
from privatefolio_daemon.store.bulk_load import deferred_indexes
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.patched_fields import forget_deleted
from privatefolio_daemon.store.seen_through import seen_through
from privatefolio_daemon.store.shards import (
    attach_shards,
    copy_shard,
    detach_shards,
    ledger_table_sql,
    rename_repeated,
)
from privatefolio_daemon.worker_processes import worker_count

CHUNK_BYTES = 1 << 20
REPORT_EVERY = 50_000
_CSV_TYPES = ("text/csv", "application/csv", "application/vnd.ms-excel", "text/plain")
DUPLICATE_IMPORT = "You cannot import the same file twice."


class FileImports:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        files: ServerFiles,
        limits: Limits | None = None,
    ) -> None:
        self.account = account
        self._db = db
        self._events = events
        self.files = files
        self._limits = limits or Limits()

    async def requirements(self, file_id: int) -> list[Requirement] | None:
        """What the user must tell before the import (a platform, an address), or None."""
        path = self.files.path(file_id)
        first_line = await asyncio.to_thread(_first_line, path)
        return requirements_for(first_line) if first_line is not None else None

    async def run_import(
        self,
        file_id: int,
        context: dict[str, Any] | None,
        group_id: str | None,
        progress: Progress,
        cancel: SqlCancel,
    ) -> dict[str, Any]:
        record = await self.files.get(file_id)
        name, metadata = str(record["name"]), record.get("metadata", {})
        progress(0, f'Reading file "{name}" from disk')
        if not _looks_like_csv(metadata.get("type"), name):
            raise InvalidInputError("Error reading file: not .csv")
        path = self.files.path(file_id)
        if not path.is_file():
            raise NotFoundError(_not_uploaded(name, record.get("status")))
        fid = file_import_id(
            name, _js_number(metadata.get("size", 0)), _js_number(metadata.get("lastModified", 0))
        )
        report = thread_safe(progress)
        scratch = await asyncio.to_thread(_new_scratch_directory, path.parent)
        try:
            source = await asyncio.to_thread(_pinned, path, scratch)
            context_ = ParserContext.from_wire(context or {})
            job = _ImportJob(source, record, fid, context_, report, cancel)
            imported = await self._read_and_save(job, scratch, name, progress)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, ignore_errors=True)
        oldest = imported.pop("oldestTimestamp")
        self._announce_stale(imported.pop("_stale"))
        self._announce_tefas(imported.pop("_tefas"))
        if oldest is not None:
            self._events.emit(
                "audit-logs", "created", min(oldest, now_ms()), group_id, account=self.account
            )
        self._events.emit("transactions", "created", account=self.account)
        self._events.emit("file-imports", "created", imported, account=self.account)
        return imported

    async def _read_and_save(
        self, job: "_ImportJob", scratch: Path, name: str, progress: Progress
    ) -> dict[str, Any]:
        try:
            job.sha256 = await asyncio.to_thread(content_digest, job.path)
            progress(10, f'Read file "{name}" from disk')
            await self._db.read(job.refuse_duplicate)
            await self._parse_in_parallel(job, scratch)
            return await seen_through(self._db.bulk_write(job.run))
        except ImportFormatError as error:
            raise await asyncio.to_thread(_with_line, error, job.path) from None
        except (OSError, ImportWorkerError):
            if await asyncio.to_thread(job.path.exists):
                raise
            raise NotFoundError(f'The file "{name}" was deleted during its import') from None

    def _announce_stale(self, kinds: list[str]) -> None:
        """The derived rows the change made stale are gone: say so on their channels."""
        for kind in kinds:
            announce_deleted(self._events, self.account, kind)

    def _announce_tefas(self, invalidations: list[PriceInvalidation]) -> None:
        """Funds were given TEFAS as their price source (``tefas_funds``)."""
        if invalidations:
            self._events.emit("metadata", account=self.account)
        if announce_stale(self._events, self.account, invalidations):
            self._events.emit("daily-prices", account=self.account)

    async def _parse_in_parallel(self, job: "_ImportJob", directory: Path) -> None:
        """Parse a large file in worker processes into shard files under ``directory``,
        setting ``job.shards``."""
        workers = worker_count(self._limits.import_workers)
        size = await asyncio.to_thread(lambda: job.path.stat().st_size)
        if workers < 2 or size < self._limits.parallel_import_min_bytes:
            return
        table_sql = await self._db.read(ledger_table_sql)
        parsing = asyncio.ensure_future(
            asyncio.to_thread(
                parse_in_parallel,
                job.path,
                job.fid,
                job.context,
                workers=workers,
                directory=directory,
                table_sql=table_sql,
                report=job.report,
                cancel=job.cancel,
            )
        )
        try:
            job.shards = await asyncio.shield(parsing)
        except BaseException:
            # A cancelled task's token stops the workers within a poll: wait for that, so no
            # worker writes into the directory once it is removed. Its error (the abort) is
            # this task's own, already raised: taken here, asyncio does not log it as lost.
            await asyncio.wait({parsing})
            if not parsing.cancelled():
                parsing.exception()
            raise

    async def remove(self, fid: str, progress: Progress, cancel: SqlCancel) -> None:
        """Remove a file import with its audit logs and transactions, and their tags; all of
        it or, when the task is cancelled before the end, nothing."""
        progress(0, f"Removing file import with id {fid}")
        report = thread_safe(progress)

        def remove(
            connection: sqlite3.Connection,
        ) -> tuple[dict[str, Any], int | None, list[str], bool]:
            row = connection.execute("SELECT * FROM file_imports WHERE id = ?", (fid,)).fetchone()
            if row is None:
                raise NotFoundError(f"File import {fid} does not exist")
            logs = count_where_equal(connection, "audit_logs", "fileImportId", fid)
            txs = count_where_equal(connection, "transactions", "fileImportId", fid)
            report(0, f"Removing {logs} audit logs")
            split = split_merges_of(connection, "fileImportId", fid)
            oldest = ledger.oldest_timestamp(connection, "fileImportId = ?", (fid,))
            tag_store.untag_matching(connection, "auditLog", "item.fileImportId = ?", (fid,))
            tag_store.untag_matching(connection, "transaction", "item.fileImportId = ?", (fid,))
            delete_where_equal(connection, "audit_logs", "fileImportId", fid)
            report(50, f"Removing {txs} transactions")
            delete_where_equal(connection, "transactions", "fileImportId", fid)
            forget_deleted(connection)
            connection.execute("DELETE FROM file_imports WHERE id = ?", (fid,))
            connection.execute("DELETE FROM file_import_contents WHERE fileImportId = ?", (fid,))
            stale = ledger_invalidation(connection, oldest).deleted
            cancel.checkpoint()
            return ledger.file_import_to_wire(row), oldest, stale, split

        removal = self._db.bulk_transaction(cancel.guard_sql(remove))
        record, oldest, stale, split = await seen_through(removal)
        self._announce_stale(stale)
        # Transactions a merge stood for are back: merged again and checked for spam as new.
        cause = "created" if split else "deleted"
        self._events.emit("audit-logs", cause, oldest, None, account=self.account)
        self._events.emit("transactions", "deleted", account=self.account)
        self._events.emit("file-imports", "deleted", record, account=self.account)
        progress(100, f"Removed file import with id {fid}")


class _ImportJob:
    """The part of an import that runs on the writer thread, inside one transaction."""

    def __init__(
        self,
        path: Path,
        record: dict[str, Any],
        fid: str,
        context: ParserContext,
        report: Report,
        cancel: SqlCancel,
    ) -> None:
        self.path, self.record, self.fid = path, record, fid
        self.context, self.report, self.cancel = context, report, cancel
        self.shards: ParsedShards | None = None
        """Set when worker processes parsed the file: the import copies their shard files."""
        self.sha256 = ""

    def refuse_duplicate(self, connection: sqlite3.Connection) -> None:
        """Raise when this file, or one with the same bytes, was imported already."""
        if connection.execute("SELECT 1 FROM file_imports WHERE id = ?", (self.fid,)).fetchone():
            raise ConflictError(DUPLICATE_IMPORT)
        same = connection.execute(
            "SELECT f.name FROM file_import_contents c "
            "JOIN file_imports f ON f.id = c.fileImportId WHERE c.sha256 = ?",
            (self.sha256,),
        ).fetchone()
        if same is not None and self.sha256 != NO_ROWS_DIGEST:
            raise ConflictError(
                f'{DUPLICATE_IMPORT} "{self.record["name"]}" has the same content as the '
                f'import of "{same[0]}".'
            )

    def run(self, connection: sqlite3.Connection) -> dict[str, Any]:
        names = attach_shards(connection, self.shards.files) if self.shards else []
        try:
            return self.cancel.guard_sql(self._in_transaction)(connection)
        finally:
            detach_shards(connection, names)

    def _in_transaction(self, connection: sqlite3.Connection) -> dict[str, Any]:
        """The whole import, or nothing: a cancel interrupts even the index builds."""
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = self._import(connection)
            self.cancel.checkpoint()
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # an interrupted write has rolled it back already
                connection.execute("ROLLBACK")
            raise
        return result

    def _import(self, connection: sqlite3.Connection) -> dict[str, Any]:
        metadata = self.record.get("metadata", {})
        self.refuse_duplicate(connection)
        parsed = self.shards is not None
        self.report(60 if parsed else 11, f"Saving file import metadata under the id {self.fid}")
        connection.execute(
            "INSERT INTO file_imports (id, lastModified, name, size) VALUES (?, ?, ?, ?)",
            (
                self.fid,
                metadata.get("lastModified", 0),
                self.record["name"],
                metadata.get("size", 0),
            ),
        )
        connection.execute(
            "INSERT OR REPLACE INTO file_import_contents (fileImportId, sha256) VALUES (?, ?)",
            (self.fid, self.sha256),
        )
        if should_bulk_load(connection, self.path.stat().st_size):
            with deferred_indexes(connection, LEDGER_TABLES) as repeated_ids:
                meta, oldest, repeated_ids_saved = self._save(connection)
                repeated_ids.update(repeated_ids_saved)
                self.report(80, "Building the indexes")
        else:
            meta, oldest, repeated_ids_saved = self._save(connection)
        return self._finish(connection, meta, oldest, repeated_ids_saved)

    def _save(
        self, connection: sqlite3.Connection
    ) -> tuple[ImportMeta, int | None, dict[str, set[str]]]:
        """Write the file's rows; returns the meta, the oldest timestamp and the ids written
        more than once that the parse knows of (``MadeIds.repeated``)."""
        if self.shards is not None:
            self._copy_shards(connection)
            return self.shards.meta, self.shards.oldest, self.shards.repeated_ids
        self.report(12, f"Parsing file {self.record['name']}")
        stream = StreamingImport(
            lambda: read_text(self.path),
            file_import_id=self.fid,
            context=self.context,
            on_progress=self.report,
        )
        self._save_batches(connection, iter(stream))
        assert stream.meta is not None and stream.summary is not None
        return stream.meta, stream.summary.oldest, stream.summary.made_ids.repeated

    def _copy_shards(self, connection: sqlite3.Connection) -> None:
        assert self.shards is not None
        saved_logs = saved_transactions = 0
        for number, renames in enumerate(self.shards.renames):
            self.cancel.checkpoint()
            rename_repeated(connection, f"shard{number}", renames)
            logs, transactions = copy_shard(connection, f"shard{number}")
            saved_logs += logs
            saved_transactions += transactions
            self.report(None, f"Saved {saved_logs} logs and {saved_transactions} transactions")

    def _save_batches(
        self, connection: sqlite3.Connection, items: Iterator[Batch | Restart]
    ) -> None:
        saved_logs = saved_transactions = 0
        next_report = REPORT_EVERY
        for item in items:
            self.cancel.checkpoint()
            if isinstance(item, Restart):
                self.report(None, item.reason)
                connection.execute("DELETE FROM audit_logs WHERE fileImportId = ?", (self.fid,))
                connection.execute("DELETE FROM transactions WHERE fileImportId = ?", (self.fid,))
                saved_logs = saved_transactions = 0
                continue
            ledger.insert_audit_logs(connection, item.logs)
            ledger.insert_transactions(connection, item.transactions)
            saved_logs += len(item.logs)
            saved_transactions += len(item.transactions)
            if saved_logs >= next_report:
                next_report = saved_logs + REPORT_EVERY
                self.report(None, f"Saved {saved_logs} logs and {saved_transactions} transactions")

    def _finish(
        self,
        connection: sqlite3.Connection,
        import_meta: ImportMeta,
        oldest: int | None,
        repeated_ids: dict[str, set[str]],
    ) -> dict[str, Any]:
        metadata = self.record.get("metadata", {})
        meta = import_meta.to_wire()
        finished = now_ms()
        connection.execute(
            "UPDATE file_imports SET timestamp = ?, meta = ? WHERE id = ?",
            (finished, orjson.dumps(meta).decode(), self.fid),
        )
        changed_from = None if oldest is None else min(oldest, finished)
        stale = ledger_invalidation(connection, changed_from).deleted
        tefas = price_lira_funds_with_tefas(connection, self.fid, meta["parserId"])
        logs, transactions = (
            self._stored_rows(connection, table) if repeated_ids.get(table) else meta[key]
            for table, key in (("audit_logs", "logs"), ("transactions", "transactions"))
        )
        self.report(99, f"Imported {logs} audit logs and {transactions} transactions")
        return {
            "_stale": stale,
            "_tefas": tefas,
            "id": self.fid,
            "lastModified": metadata.get("lastModified", 0),
            "name": self.record["name"],
            "size": metadata.get("size", 0),
            "timestamp": finished,
            "meta": meta,
            "oldestTimestamp": oldest,
        }

    def _stored_rows(self, connection: sqlite3.Connection, table: str) -> int:
        """The rows of the file in ``table``: fewer than ``meta`` counts when a repeated swap
        id kept its last copy only (``MadeIds``)."""
        query = f"SELECT COUNT(*) FROM {table} WHERE fileImportId = ?"
        count: int = connection.execute(query, (self.fid,)).fetchone()[0]
        return count


def _new_scratch_directory(files_dir: Path) -> Path:
    """A directory for an import's own files beside the account's uploads. An account runs one
    task at a time, so any other such directory was left by a daemon that stopped mid-import."""
    for stale in files_dir.glob(f"{IMPORT_SCRATCH_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=IMPORT_SCRATCH_PREFIX, dir=files_dir))


def _pinned(path: Path, directory: Path) -> Path:
    """A second name for the upload in the import's directory, so that deleting the server file
    meanwhile leaves the import its bytes, whether one process or several read them. Where the
    file system has no hard links, the import reads the upload itself."""
    pinned = directory / "source.csv"
    try:
        os.link(path, pinned)
    except OSError:
        return path
    return pinned


def _with_line(error: ImportFormatError, path: Path) -> ImportFormatError:
    """A row's error, with the line of the file the row starts on (rows and lines differ by
    the header, blank lines before it and quoted line breaks)."""
    if not error.row:
        return _with_nul_line(error, path) if error.reason == NUL_CHARACTERS else error
    try:
        line = line_of_row(read_text(path), error.row)
    except OSError:  # deleted meanwhile: the error without its line
        return error
    if line is None:
        return error
    return ImportFormatError(f"{error} (line {line})", row=error.row, column=error.column)


def _with_nul_line(error: ImportFormatError, path: Path) -> ImportFormatError:
    """Where the first NUL is: a byte no other UTF-8 character holds, so it is found in the
    bytes, whichever process read the text."""
    lines_before = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                at = chunk.find(b"\x00")
                if at >= 0:
                    line = lines_before + chunk.count(b"\n", 0, at) + 1
                    return ImportFormatError(f"{error.reason}, the first on line {line}")
                lines_before += chunk.count(b"\n")
    except OSError:  # deleted meanwhile: the error without its line
        pass
    return error


#: The digest of a file with no rows after its header: the empty export of a wallet with no
#: transactions of a kind, which any number of wallets may have.
NO_ROWS_DIGEST = ""
_SMALL_FILE_BYTES = 64 * 1024


def content_digest(path: Path) -> str:
    """The file's sha256, by which a copy of an imported file is refused, or
    ``NO_ROWS_DIGEST``."""
    if path.stat().st_size <= _SMALL_FILE_BYTES:
        text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff").strip()
        if "\n" not in text:
            return NO_ROWS_DIGEST
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _read_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _first_line(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    return text.splitlines()[0] if text else None


def _not_uploaded(name: str, status: Any) -> str:
    """Why a file has no bytes to import: its upload was cut off or refused, or has not come."""
    if status == "aborted":
        return f'The upload of the file "{name}" was aborted: upload it again, then import it'
    return f'The file "{name}" has not been uploaded yet'


def _looks_like_csv(mime_type: Any, name: str) -> bool:
    kind = str(mime_type or "").split(";")[0].strip().lower()
    return kind in _CSV_TYPES or name.lower().endswith(".csv")


def _js_number(value: Any) -> int:
    """A size or time as JavaScript prints it in a string: ``1970``, not ``1970.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
