"""The import pipeline of file-formats §1, streaming: text chunks in, record batches out.

Rows are parsed one by one and handed out in batches. A format with a group finaliser (Binance)
only ever combines logs that share a timestamp, so a time-sorted file is finalised one timestamp
run at a time. When the timestamps go back and forth, the run is restarted with exact global
grouping: the consumer receives :class:`Restart`, drops what it received, and gets everything
again from a buffered pass.
"""

import codecs
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.domain.hashing import string_hash, utf16_length
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.base import ImportFormatError, Parser, ParserContext
from privatefolio_daemon.sources.importers.csv_rows import iter_rows, sanitise_header
from privatefolio_daemon.sources.importers.registry import match_header

ProgressCallback = Callable[[float | None, str], None]
DEFAULT_BATCH_SIZE = 10_000


def file_import_id(name: str, size: int, last_modified: int) -> str:
    return string_hash(f"fi_{name}_{size}_{last_modified}")


@dataclass(slots=True)
class ImportMeta:
    assetIds: list[str]
    extensionId: str
    logs: int
    operations: list[str]
    parserId: str
    platformId: str | None
    rows: int
    transactions: int
    wallets: list[str]

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "assetIds": self.assetIds,
            "extensionId": self.extensionId,
            "logs": self.logs,
            "operations": self.operations,
            "parserId": self.parserId,
            "platformId": self.platformId,
            "rows": self.rows,
            "transactions": self.transactions,
            "wallets": self.wallets,
        }
        if self.platformId is None:
            del wire["platformId"]
        return wire


@dataclass(slots=True)
class Batch:
    logs: list[AuditLog] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Restart:
    """Everything yielded so far must be discarded; the records follow again, complete."""

    reason: str


class _Unsorted(Exception):
    pass


def _utf16_sorted(values: set[str]) -> list[str]:
    """JavaScript's default sort: by UTF-16 code units."""
    return sorted(values, key=lambda text: text.encode("utf-16-be", "surrogatepass"))


def decode_utf8(byte_chunks: Iterable[bytes]) -> Iterator[str]:
    """Decode a file read in binary chunks; a non-UTF-8 file is reported, not guessed at."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    try:
        for chunk in byte_chunks:
            text = decoder.decode(chunk)
            offset += len(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise ImportFormatError(
            f"The file is not UTF-8 text: invalid byte at offset {position}"
        ) from None
    if tail:
        yield tail


def reject_binary(chunks: Iterable[str]) -> Iterator[str]:
    for chunk in chunks:
        if "\x00" in chunk:
            raise ImportFormatError("The file is not a text file: it contains NUL characters")
        yield chunk


class StreamingImport:
    """One file import: iterate it for :class:`Batch` (and maybe one :class:`Restart`) items.

    ``open_source`` returns a fresh iterable of text chunks each time it is called; it is called
    a second time only for an unsorted file of a grouping format. After the iteration,
    ``parser`` and ``meta`` are set.
    """

    def __init__(
        self,
        open_source: Callable[[], Iterable[str]],
        *,
        file_import_id: str,
        context: ParserContext,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._open_source = open_source
        self.file_import_id = file_import_id
        self.context = context
        self._batch_size = batch_size
        self._on_progress = on_progress
        self.parser: Parser | None = None
        self.meta: ImportMeta | None = None

    def __iter__(self) -> Iterator[Batch | Restart]:
        try:
            yield from self._run(group_globally=False)
        except _Unsorted:
            yield Restart("The file is not sorted by time; grouping all rows at once")
            yield from self._run(group_globally=True)

    def _header(self, rows: Iterator[str]) -> Parser:
        first = next(rows, None)
        if first is None:
            raise ImportFormatError("The file is empty")
        parser = match_header(first)
        if parser is None:
            raise ImportFormatError(
                f"File import unsupported, unknown header: {sanitise_header(first)}", row=0
            )
        return parser

    def _run(self, *, group_globally: bool) -> Iterator[Batch]:
        rows = iter_rows(reject_binary(self._open_source()))
        parser = self.parser = self._header(rows)
        fid, context, parse_row = self.file_import_id, self.context, parser.parse_row
        finalise = parser.finalise_group
        assets: set[str] = set()
        wallets: set[str] = set()
        operations: set[str] = set()
        first_platform: str | None = None
        log_count = tx_count = row_count = 0
        batch = Batch()
        group: list[AuditLog] = []
        group_timestamp: int | None = None
        direction = 0

        def flush_group() -> None:
            nonlocal log_count, tx_count
            if finalise is not None and group:
                logs, swaps = finalise(group, fid)
                batch.logs.extend(logs)
                batch.transactions.extend(swaps)
                log_count += len(logs)
                tx_count += len(swaps)
                group.clear()

        for index, row in enumerate(rows):
            row_count = index + 1
            if self._on_progress is not None and index and row_count % 1000 == 0:
                self._on_progress(None, f"Parsing row {row_count}")
            try:
                result = parse_row(row, index, fid, context)
            except ImportFormatError as error:
                raise error.at_row(row_count) from error
            for log in result.logs:
                assets.add(log.assetId)
                wallets.add(log.wallet)
                operations.add(log.operation)
                if first_platform is None:
                    first_platform = log.platformId
                if finalise is None:
                    batch.logs.append(log)
                    log_count += 1
                elif group_globally or log.timestamp == group_timestamp:
                    group.append(log)
                else:
                    if group_timestamp is not None:
                        step = 1 if log.timestamp > group_timestamp else -1
                        if direction == 0:
                            direction = step
                        elif step != direction:
                            raise _Unsorted
                    flush_group()
                    group.append(log)
                    group_timestamp = log.timestamp
            batch.transactions.extend(result.transactions)
            tx_count += len(result.transactions)
            if len(batch.logs) + len(batch.transactions) >= self._batch_size:
                yield batch
                batch = Batch()
        flush_group()
        yield batch
        self.meta = ImportMeta(
            assetIds=_utf16_sorted(assets),
            extensionId=parser.extension_id,
            logs=log_count,
            operations=_utf16_sorted(operations),
            parserId=parser.parser_id,
            platformId=(
                context.platform
                if parser.platform_id_from_context
                else parser.platform_id or first_platform
            ),
            rows=row_count,
            transactions=tx_count,
            wallets=_utf16_sorted(wallets),
        )


@dataclass(slots=True)
class ParseResult:
    file_import_id: str
    logs: list[AuditLog]
    transactions: list[Transaction]
    meta: ImportMeta


def parse_text(
    text: str,
    *,
    file_name: str,
    size: int | None = None,
    last_modified: int = 0,
    context: ParserContext | None = None,
) -> ParseResult:
    """Parse a whole file held in memory. ``size`` defaults to the text's UTF-16 length."""
    fid = file_import_id(file_name, utf16_length(text) if size is None else size, last_modified)
    parse = StreamingImport(lambda: (text,), file_import_id=fid, context=context or ParserContext())
    logs: list[AuditLog] = []
    transactions: list[Transaction] = []
    for item in parse:
        if isinstance(item, Restart):
            logs, transactions = [], []
            continue
        logs.extend(item.logs)
        transactions.extend(item.transactions)
    assert parse.meta is not None
    return ParseResult(fid, logs, transactions, parse.meta)
