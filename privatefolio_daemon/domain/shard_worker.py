"""A worker process's part of a parallel import: parse one shard into a shard file.

Runs in a process of its own (``parallel_import``), so nothing here may rely on the daemon's
state. The outcome goes back over a pipe as one message: the shard's :class:`ImportSummary`, or
why it could not be parsed.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from privatefolio_daemon.collector import collect_rarely
from privatefolio_daemon.sources.importers.base import ImportFormatError, ParserContext
from privatefolio_daemon.sources.importers.file_text import read_text
from privatefolio_daemon.sources.importers.parse_file import (
    Batch,
    ImportSummary,
    StreamingImport,
    UnsortedFile,
)
from privatefolio_daemon.sources.importers.shard_plan import Shard
from privatefolio_daemon.store.shards import create_shard_file, insert_shard_rows
from privatefolio_daemon.worker_processes import prepare_worker


@dataclass(frozen=True, slots=True)
class ShardTask:
    path: Path
    header: str
    shard: Shard
    file_import_id: str
    context: ParserContext
    output: Path
    table_sql: dict[str, str]
    """The ledger's ``CREATE TABLE`` statements (``store.shards.ledger_table_sql``)."""


@dataclass(frozen=True, slots=True)
class ShardParsed:
    summary: ImportSummary


@dataclass(frozen=True, slots=True)
class ShardUnsorted:
    """The shard's timestamps go back and forth: the file is parsed whole instead."""


@dataclass(frozen=True, slots=True)
class ShardRejected:
    reason: str
    row: int | None
    column: str | None

    def error(self) -> ImportFormatError:
        return ImportFormatError(self.reason, row=self.row, column=self.column)


@dataclass(frozen=True, slots=True)
class ShardFailed:
    """Anything else that went wrong in the worker (a full disk, say)."""

    reason: str


ShardOutcome = ShardParsed | ShardUnsorted | ShardRejected | ShardFailed


def run_shard(task: ShardTask, rows_parsed: Any, outcome: Connection) -> None:
    """The worker process's entry point."""
    prepare_worker()
    collect_rarely()
    try:
        result: ShardOutcome = ShardParsed(parse_shard(task, rows_parsed))
    except UnsortedFile:
        result = ShardUnsorted()
    except ImportFormatError as error:
        result = ShardRejected(error.reason, error.row, error.column)
    except Exception as error:
        result = ShardFailed(f"{type(error).__name__}: {error}")
    outcome.send(result)
    outcome.close()


def parse_shard(task: ShardTask, rows_parsed: Any) -> ImportSummary:
    """Parse the shard into ``task.output``; ``rows_parsed.value`` follows the progress."""

    def on_progress(_percent: float | None, _message: str) -> None:
        rows_parsed.value += 1000

    stream = StreamingImport(
        lambda: _shard_text(task),
        file_import_id=task.file_import_id,
        context=task.context,
        first_index=task.shard.first_index,
        restart_when_unsorted=False,
        on_progress=on_progress,
    )
    connection = create_shard_file(task.output, task.table_sql)
    try:
        for item in stream:
            assert isinstance(item, Batch)
            insert_shard_rows(connection, "audit_logs", [log.db_row() for log in item.logs])
            insert_shard_rows(connection, "transactions", [tx.db_row() for tx in item.transactions])
        connection.execute("COMMIT")
    finally:
        connection.close()
    assert stream.summary is not None
    return stream.summary


def _shard_text(task: ShardTask) -> Iterator[str]:
    yield task.header + "\n"
    yield from read_text(task.path, task.shard.start, task.shard.end)
