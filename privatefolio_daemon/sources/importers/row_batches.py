"""A file import as the inserter sees it: batches of database rows, ready for ``executemany``."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.parse_file import (
    DEFAULT_BATCH_SIZE,
    Batch,
    Restart,
    StreamingImport,
    decode_utf8,
)

Row = tuple[Any, ...]
Report = Callable[[float | None, str], None]
READ_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class RowBatch:
    """``log_rows``/``transaction_rows`` in the column order of ``store.ledger``'s inserts;
    ``oldest`` is the smallest log timestamp of the batch (None without logs)."""

    log_rows: list[Row]
    transaction_rows: list[Row]
    oldest: int | None


def read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            yield chunk


def open_text(path: Path) -> Callable[[], Iterable[str]]:
    return lambda: decode_utf8(read_chunks(path))


def to_row_batch(batch: Batch) -> RowBatch:
    logs = batch.logs
    return RowBatch(
        [log.db_row() for log in logs],
        [transaction.db_row() for transaction in batch.transactions],
        min((log.timestamp for log in logs), default=None),
    )


class RowParse:
    """Parse ``path`` one batch per iteration step; afterwards ``meta`` is the import's meta."""

    def __init__(
        self,
        path: Path,
        *,
        file_import_id: str,
        context: ParserContext,
        on_progress: Report | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._stream = StreamingImport(
            open_text(path),
            file_import_id=file_import_id,
            context=context,
            on_progress=on_progress,
            batch_size=batch_size,
        )
        self.meta: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[RowBatch | Restart]:
        for item in self._stream:
            yield item if isinstance(item, Restart) else to_row_batch(item)
        assert self._stream.meta is not None
        self.meta = self._stream.meta.to_wire()
