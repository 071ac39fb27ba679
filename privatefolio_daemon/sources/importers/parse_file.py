"""The import pipeline of file-formats §1, streaming: text chunks in, record batches out.

Rows are parsed one by one and handed out in batches. A format with a group finaliser (Binance)
only ever combines logs that share a timestamp, so a time-sorted file is finalised one timestamp
run at a time. When the timestamps go back and forth, the run is restarted with exact global
grouping: the consumer receives :class:`Restart`, drops what it received, and gets everything
again from a buffered pass.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from privatefolio_daemon.domain.errors import shortened
from privatefolio_daemon.domain.hashing import string_hash, utf16_length
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.base import (
    GroupFinaliser,
    ImportFormatError,
    Parser,
    ParserContext,
)
from privatefolio_daemon.sources.importers.csv_rows import RowTooLong, iter_rows, sanitise_header
from privatefolio_daemon.sources.importers.made_ids import MadeIds, Renames, keep_row_ids_unique
from privatefolio_daemon.sources.importers.registry import header_hint, match_header

ProgressCallback = Callable[[float | None, str], None]
DEFAULT_BATCH_SIZE = 1_000
#: The most of an unknown header an error quotes (the longest known header has 239 characters).
HEADER_SHOWN_CHARS = 500
_LOG_KIND = attrgetter("assetId", "wallet", "operation")
_TIMESTAMP = attrgetter("timestamp")


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


class UnsortedFile(Exception):
    """A grouping format's rows go back and forth in time (see :class:`StreamingImport`)."""


def _utf16_sorted(values: set[str]) -> list[str]:
    """JavaScript's default sort: by UTF-16 code units."""
    return sorted(values, key=lambda text: text.encode("utf-16-be", "surrogatepass"))


NUL_CHARACTERS = "The file is not a text file: it contains NUL characters"


def reject_binary(chunks: Iterable[str]) -> Iterator[str]:
    for chunk in chunks:
        if "\x00" in chunk:
            raise ImportFormatError(NUL_CHARACTERS)
        yield chunk


class StreamingImport:
    """One file import: iterate it for :class:`Batch` (and maybe one :class:`Restart`) items.

    ``open_source`` returns a fresh iterable of text chunks each time it is called; it is called
    a second time only for an unsorted file of a grouping format. ``parser`` replaces the one the
    header names (tests run a format's exact reference parser this way). After the iteration,
    ``parser``, ``summary`` and ``meta`` are set.

    A shard of a file (``shard_plan``) is the header row followed by some of the file's rows:
    ``first_index`` is the index of its first row in the file, and with ``restart_when_unsorted``
    false an unsorted shard raises :class:`UnsortedFile` instead of restarting.
    """

    def __init__(
        self,
        open_source: Callable[[], Iterable[str]],
        *,
        file_import_id: str,
        context: ParserContext,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: ProgressCallback | None = None,
        parser: Parser | None = None,
        first_index: int = 0,
        restart_when_unsorted: bool = True,
    ) -> None:
        self._open_source = open_source
        self._first_index = first_index
        self._restart_when_unsorted = restart_when_unsorted
        self._forced_parser = parser
        self.file_import_id = file_import_id
        self.context = context
        self._batch_size = batch_size
        self._on_progress = on_progress
        self.parser: Parser | None = None
        self.summary: ImportSummary | None = None
        self.meta: ImportMeta | None = None

    def __iter__(self) -> Iterator[Batch | Restart]:
        try:
            yield from self._run(group_globally=False)
        except UnsortedFile:
            if not self._restart_when_unsorted:
                raise
            yield Restart("The file is not sorted by time; grouping all rows at once")
            yield from self._run(group_globally=True)

    def _header(self, rows: Iterator[str]) -> Parser:
        first = next(rows, None)
        if first is None:
            raise ImportFormatError("The file is empty")
        parser = self._forced_parser or match_header(first)
        if parser is None:
            hint = header_hint(first)
            hint = f" ({hint})" if hint else ""
            shown = shortened(sanitise_header(first).partition("\r")[0], HEADER_SHOWN_CHARS)
            raise ImportFormatError(
                f"File import unsupported, unknown header: {shown}{hint}", row=0
            )
        return parser

    def _run(self, *, group_globally: bool) -> Iterator[Batch]:
        try:
            yield from self._parse(group_globally=group_globally)
        except RowTooLong as error:
            if error.rows_before == 0:
                raise ImportFormatError(f"The first line of the file is {error.too_long}") from None
            raise error.at_row(self._first_index + error.rows_before) from None

    def _parse(self, *, group_globally: bool) -> Iterator[Batch]:
        rows = iter_rows(reject_binary(self._open_source()))
        parser = self.parser = self._header(rows)
        fid, context, parse_row = self.file_import_id, self.context, parser.parse_row
        summary = ImportSummary()
        runs = (
            None
            if parser.finalise_group is None
            else _TimestampRuns(
                parser.finalise_group, fid, summary.made_ids, globally=group_globally
            )
        )
        batch = Batch()
        hashed_ids = parser.row_ids_hashed
        index = self._first_index - 1
        for index, row in enumerate(rows, self._first_index):
            if index % 1000 == 999 and self._on_progress is not None:
                self._on_progress(None, f"Parsing row {index + 1}")
            try:
                result = parse_row(row, index, fid, context)
            except ImportFormatError as error:
                raise error.at_row(index + 1) from error
            if hashed_ids:
                keep_row_ids_unique(result, index, summary.made_ids)
            if runs is None:
                batch.logs.extend(result.logs)
            else:
                runs.add(result.logs, batch)
            if result.transactions:
                batch.transactions.extend(result.transactions)
            if len(batch.logs) + len(batch.transactions) >= self._batch_size:
                summary.add(batch)
                yield batch
                batch = Batch()
        if runs is not None:
            runs.flush(batch)
        summary.add(batch)
        yield batch
        summary.rows = index + 1 - self._first_index
        if runs is not None:
            summary.ascending = runs.ascending
        self.summary = summary
        self.meta = summary.meta(parser, context)


class _TimestampRuns:
    """Logs of a grouping format, finalised one timestamp run at a time into a batch.

    With ``globally``, all logs form one group that is finalised at the end. A run of one log
    is passed through: a finaliser only combines logs, so it has nothing to do there.
    """

    def __init__(
        self,
        finalise: GroupFinaliser,
        file_import_id: str,
        made_ids: MadeIds,
        *,
        globally: bool,
    ) -> None:
        self._finalise = finalise
        self._file_import_id = file_import_id
        self._made_ids = made_ids
        self._globally = globally
        self._group: list[AuditLog] = []
        self._timestamp: int | None = None
        self.ascending: bool | None = None
        """Whether the timestamps rise, once two differ."""

    def add(self, logs: list[AuditLog], batch: Batch) -> None:
        """Add the logs of one row; a log with a new timestamp closes the current run."""
        for log in logs:
            timestamp = log.timestamp
            if timestamp != self._timestamp and not self._globally:
                if self._timestamp is not None:
                    ascending = timestamp > self._timestamp
                    if self.ascending is None:
                        self.ascending = ascending
                    elif ascending != self.ascending:
                        raise UnsortedFile
                if len(self._group) == 1:
                    batch.logs.append(self._group.pop())
                else:
                    self.flush(batch)
                self._timestamp = timestamp
            self._group.append(log)

    def flush(self, batch: Batch) -> None:
        group = self._group
        if len(group) == 1:
            batch.logs.append(group[0])
        elif group:
            logs, transactions = self._finalise(group, self._file_import_id)
            own = {log.id for log in group}
            for log in logs:
                if log.id not in own and not self._made_ids.claim("audit_logs", log.id):
                    log.id = f"{log.id}_{int(log.importIndex)}"
                    self._made_ids.claim("audit_logs", log.id)
            self._made_ids.add("transactions", [transaction.id for transaction in transactions])
            batch.logs.extend(logs)
            batch.transactions.extend(transactions)
        self._group = []


class ImportSummary:
    """What the meta reports, gathered from the batches as they are handed out.

    The asset, wallet and operation sets are those of the pre-merge logs, as the original's: a
    merged log keeps the asset, operation and wallet its group shares, so the sets are equal.
    The summaries of a file's shards, merged in file order, equal the whole file's.
    """

    def __init__(self) -> None:
        self.kinds: set[tuple[str, str, str]] = set()  # (assetId, wallet, operation)
        self.first_platform: str | None = None
        self.logs = 0
        self.transactions = 0
        self.rows = 0
        self.oldest: int | None = None
        self.first_timestamp: int | None = None
        self.last_timestamp: int | None = None
        self.ascending: bool | None = None
        """Of a grouping format: whether the timestamps rise (None: one timestamp at most)."""
        self.made_ids = MadeIds()

    def add(self, batch: Batch) -> None:
        logs = batch.logs
        if logs:
            self.kinds.update(map(_LOG_KIND, logs))
            if self.first_platform is None:
                self.first_platform = logs[0].platformId
                self.first_timestamp = logs[0].timestamp
            self.last_timestamp = logs[-1].timestamp
            oldest = min(map(_TIMESTAMP, logs))
            if self.oldest is None or oldest < self.oldest:
                self.oldest = oldest
        self.logs += len(logs)
        self.transactions += len(batch.transactions)

    def merge(self, later: "ImportSummary") -> Renames:
        """Add the summary of the rows that follow this one's in the file; returns the ids the
        later rows must rename (``MadeIds.merge``)."""
        self.kinds |= later.kinds
        if self.first_platform is None:
            self.first_platform = later.first_platform
            self.first_timestamp = later.first_timestamp
        if later.last_timestamp is not None:
            self.last_timestamp = later.last_timestamp
        if later.oldest is not None and (self.oldest is None or later.oldest < self.oldest):
            self.oldest = later.oldest
        self.logs += later.logs
        self.transactions += later.transactions
        self.rows += later.rows
        return self.made_ids.merge(later.made_ids)

    def meta(self, parser: Parser, context: ParserContext) -> ImportMeta:
        rows = self.rows
        return ImportMeta(
            assetIds=_utf16_sorted({asset for asset, _, _ in self.kinds}),
            extensionId=parser.extension_id,
            logs=self.logs,
            operations=_utf16_sorted({operation for _, _, operation in self.kinds}),
            parserId=parser.parser_id,
            platformId=(
                context.platform
                if parser.platform_id_from_context
                else parser.platform_id or self.first_platform
            ),
            rows=rows,
            transactions=self.transactions,
            wallets=_utf16_sorted({wallet for _, wallet, _ in self.kinds}),
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
