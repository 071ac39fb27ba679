"""The transactions, audit-logs (file-formats §4) and chat-history CSV exports, written as system
server files.

Rows stream from a read-only connection to the file page by page, so an export of a million rows
never holds the table in memory. The file appears complete or not at all.
"""

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain import csv_export
from privatefolio_daemon.domain.derived_steps import Cancel, Progress
from privatefolio_daemon.domain.errors import NotFoundError
from privatefolio_daemon.domain.ledger_rows import audit_log_from_row, transaction_from_row
from privatefolio_daemon.domain.server_files import ServerFiles
from privatefolio_daemon.domain.thread_progress import Report, thread_safe
from privatefolio_daemon.domain.timeutil import iso_ms, now_ms
from privatefolio_daemon.store import chat_history, ledger
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through

PAGE_ROWS = 2000


@dataclass(frozen=True, slots=True)
class ExportKind:
    noun: str
    file_suffix: str
    table: str
    order: str
    header: Callable[[], str]
    encode_row: Callable[[tuple[Any, ...]], str]


TRANSACTIONS = ExportKind(
    noun="transactions",
    file_suffix="transactions",
    table="transactions",
    order=ledger.TRANSACTION_ORDER,
    header=csv_export.transactions_export_header,
    encode_row=lambda row: csv_export.transaction_export_row(transaction_from_row(row)),
)
AUDIT_LOGS = ExportKind(
    noun="audit logs",
    file_suffix="audit-logs",
    table="audit_logs",
    order=ledger.AUDIT_LOG_ORDER_DESC,
    header=csv_export.audit_logs_export_header,
    encode_row=lambda row: csv_export.audit_log_export_row(audit_log_from_row(row)),
)


def _chat_message_row(row: tuple[Any, ...]) -> str:
    """The stored columns, with the timestamp as ISO-8601 UTC (``2024-01-02T03:04:05.006Z``)."""
    identifier, conversation, role, message, timestamp, tokens, metadata, parts = row
    return csv_export.encode_csv_row(
        (identifier, conversation, role, message, iso_ms(timestamp), tokens, metadata, parts)
    )


CHAT_HISTORY = ExportKind(
    noun="chat messages",
    file_suffix="chat-history",
    table="chat_history",
    order=chat_history.CHAT_HISTORY_ORDER,
    header=lambda: csv_export.encode_csv_row(chat_history.CHAT_COLUMNS),
    encode_row=_chat_message_row,
)


class Exports:
    def __init__(self, account: str, db: Database, files: ServerFiles) -> None:
        self.account = account
        self._db = db
        self._files = files

    async def export(self, kind: ExportKind, progress: Progress, cancel: Cancel) -> dict[str, Any]:
        """Write ``<account>-<kind>.csv`` and return its ServerFile record."""
        name = f"{self.account}-{kind.file_suffix}.csv"
        progress(0, f"Fetching all {kind.noun}")
        record = await self._files.upsert(
            {
                "name": name,
                "description": f"Export of all {kind.noun}",
                "status": "creating",
                "createdBy": "system",
                "metadata": {"lastModified": now_ms(), "size": 0, "type": _MIME},
            }
        )
        file_id = int(record["id"])
        target = self._files.path(file_id)
        partial = self._files.partial_path(file_id)
        writer = _CsvWriter(kind, partial, target, thread_safe(progress), cancel)
        try:
            size = await seen_through(self._db.read(writer.run))  # written: completed
        except BaseException as error:
            await self._files.patch(file_id, status="aborted", completedAt=now_ms())
            if isinstance(error, FileNotFoundError):  # its bytes went first, then its record
                await asyncio.to_thread(target.unlink, missing_ok=True)
                raise _deleted_meanwhile(file_id) from None
            raise
        metadata = {"lastModified": now_ms(), "size": size, "type": _MIME}
        completed = self._files.patch(
            file_id, status="completed", completedAt=now_ms(), progress=100, metadata=metadata
        )
        await seen_through(completed)
        await self._refuse_deleted(file_id, target)
        progress(100, f"Exported {writer.rows} {kind.noun} to {name}")
        return await self._files.get(file_id)

    async def _refuse_deleted(self, file_id: int, target: Path) -> None:
        """A file deleted while it was written: its bytes go too, and the export fails."""
        try:
            await self._files.get(file_id)
        except NotFoundError:
            await asyncio.to_thread(target.unlink, missing_ok=True)
            raise _deleted_meanwhile(file_id) from None


def _deleted_meanwhile(file_id: int) -> NotFoundError:
    return NotFoundError(f"Server file {file_id} was deleted while it was being written")


_MIME = csv_export.EXPORT_MIME_TYPE


class _CsvWriter:
    """Runs on a reader thread: one SELECT, fetched and written a page at a time."""

    def __init__(
        self, kind: ExportKind, partial: Path, target: Path, report: Report, cancel: Cancel
    ) -> None:
        self.kind, self.partial, self.target = kind, partial, target
        self.report, self.cancel = report, cancel
        self.rows = 0
        self._reported = 25

    def run(self, connection: sqlite3.Connection) -> int:
        total = connection.execute(f"SELECT COUNT(*) FROM {self.kind.table}").fetchone()[0]
        self.report(25, f"Transforming {total} {self.kind.noun} to CSV")
        self.target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.partial.open("w", encoding="utf-8", newline="") as handle:
                self._write(connection, handle, total)
            self.partial.replace(self.target)
        finally:
            with contextlib.suppress(OSError):
                self.partial.unlink()
        return self.target.stat().st_size

    def _write(self, connection: sqlite3.Connection, handle: Any, total: int) -> None:
        handle.write(self.kind.header())
        cursor = connection.execute(f"SELECT * FROM {self.kind.table} {self.kind.order}")
        while page := cursor.fetchmany(PAGE_ROWS):
            self.cancel.checkpoint()
            handle.write("".join("\n" + self.kind.encode_row(row) for row in page))
            self.rows += len(page)
            percent = 25 + 70 * self.rows // max(total, 1)
            if percent > self._reported:
                self._reported = percent
                self.report(percent, None)
