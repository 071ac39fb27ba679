"""Where a large CSV file can be cut so that its parts parse to exactly what the whole does.

A part (a shard) is parsed on its own, as the header row followed by the part's rows, with the
file index of its first row (``domain.shard_worker``). A cut is made only where the rows on both
sides parse the same as in the whole file:

- at a line start outside quoted fields (an even count of ``"`` before it, the rule of
  ``csv_rows``), so no row is split;
- between two non-blank lines, the one before the cut not ending in whitespace, so the trimming
  at the start and end of a text changes neither;
- for a format that combines the logs of one timestamp (Binance), between two timestamps.

A file with no such place near the wanted cut is cut in fewer places, or parsed whole.
"""

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from privatefolio_daemon.sources.importers.base import ImportFormatError, Parser, ParserContext
from privatefolio_daemon.sources.importers.csv_rows import JS_WHITESPACE, row_lists
from privatefolio_daemon.sources.importers.file_text import READ_BYTES, decode_utf8, read_range
from privatefolio_daemon.sources.importers.registry import match_header

#: How many rows past a wanted cut are searched for a change of timestamp.
MAX_ROWS_SEARCHED = 5_000
_HEADER_MAX_BYTES = 1 << 20
_PLAIN_FIRST_BYTES = {bytes([code]) for code in range(0x21, 0x7F)}
_NOT_QUOTE_OR_NEWLINE = bytes(code for code in range(256) if code not in b'"\n')


@dataclass(frozen=True, slots=True)
class Shard:
    start: int
    """Byte offset of its first row."""
    end: int
    """Byte offset after its last row (the file size for the last shard)."""
    first_index: int
    """Index of its first row in the file (the header not counted)."""


@dataclass(frozen=True, slots=True)
class ShardPlan:
    header: str
    """The header row, as the whole file's parse sees it."""
    parser: Parser
    """The format the header names."""
    shards: tuple[Shard, ...]


def plan_shards(path: Path, count: int, context: ParserContext) -> ShardPlan | None:
    """Cut the file at ``path`` into at most ``count`` shards; None when it cannot be cut.

    A file that would fail (not UTF-8, an unknown header, a bad row at a cut) is not cut: the
    whole-file parse then reports the error as usual.
    """
    try:
        with path.open("rb") as handle:
            return _plan(handle, path.stat().st_size, count, context)
    except (UnicodeDecodeError, ImportFormatError):
        return None


def _plan(handle: BinaryIO, size: int, count: int, context: ParserContext) -> ShardPlan | None:
    found = _header(handle)
    if found is None:
        return None
    header, body_start = found
    parser = match_header(header)
    if parser is None or count < 2:
        return None
    cuts = [body_start]
    for part in range(1, count):
        wanted = body_start + (size - body_start) * part // count
        cut = _cut_at_or_after(handle, cuts[-1], max(wanted, cuts[-1] + 1), size, parser, context)
        if cut is not None and cut > cuts[-1]:
            cuts.append(cut)
    if len(cuts) < 2:
        return None
    cuts.append(size)
    shards: list[Shard] = []
    first_index = 0
    for start, end in pairwise(cuts):
        shards.append(Shard(start, end, first_index))
        if end < size:  # the rows of the last shard number no other shard's
            first_index += _count_rows(handle, start, end)
    return ShardPlan(header, parser, tuple(shards))


def _header(handle: BinaryIO) -> tuple[str, int] | None:
    """The header row and the offset of the line after it."""
    head = handle.read(_HEADER_MAX_BYTES)
    quotes = 0
    line_start = 0
    while (newline := head.find(b"\n", line_start)) >= 0:
        quotes += head.count(b'"', line_start, newline)
        line_start = newline + 1
        text = head[:newline].decode("utf-8")
        if quotes % 2 == 0 and text.strip(JS_WHITESPACE):
            rows = next(row_lists([text + "\n"]))
            return (rows[0].removesuffix("\r"), line_start) if len(rows) == 1 else None
    return None


def _cut_at_or_after(
    handle: BinaryIO, row_start: int, wanted: int, size: int, parser: Parser, context: ParserContext
) -> int | None:
    """The first good cut at or after ``wanted``, within the search window; ``row_start`` is an
    earlier row start outside quoted fields (the last cut)."""
    start = _next_row_start(handle, row_start, wanted, size)
    if start is None:
        return None
    previous_timestamp: int | None = None
    for searched, (offset, row, previous_line) in enumerate(_rows_from(handle, start)):
        if searched > MAX_ROWS_SEARCHED:
            return None
        eligible = (
            row.strip(JS_WHITESPACE) != ""
            and previous_line != ""
            and previous_line == previous_line.rstrip(JS_WHITESPACE)
        )
        if parser.finalise_group is None:
            if eligible:
                return offset
            continue
        timestamps = [log.timestamp for log in parser.parse_row(row, 0, "", context).logs]
        if not timestamps:
            continue
        if eligible and previous_timestamp is not None and previous_timestamp != timestamps[0]:
            return offset
        previous_timestamp = timestamps[-1]
    return None


def _next_row_start(handle: BinaryIO, row_start: int, wanted: int, size: int) -> int | None:
    """The first line start at or after ``wanted`` that lies outside quoted fields. Before
    ``row_start``, a row start, the count of ``"`` is even: only those after it are counted."""
    quotes = _quotes_between(handle, row_start, wanted)
    handle.seek(wanted)
    position = wanted
    while position < size:
        chunk = handle.read(READ_BYTES)
        newline = chunk.find(b"\n")
        while newline >= 0:
            if (quotes + chunk.count(b'"', 0, newline)) % 2 == 0:
                return position + newline + 1 if position + newline + 1 < size else None
            newline = chunk.find(b"\n", newline + 1)
        quotes += chunk.count(b'"')
        position += len(chunk)
    return None


def _quotes_between(handle: BinaryIO, start: int, end: int) -> int:
    return sum(chunk.count(b'"') for chunk in read_range(handle, start, end))


def _rows_from(handle: BinaryIO, start: int) -> Iterator[tuple[int, str, str]]:
    """``(offset, row, line before it)`` for the rows from ``start`` (a row start) on.

    The line before is the previous line without its ``\\r``: the row above, or its last line
    when it spans lines. A last line without a line break is not a row here.
    """
    handle.seek(max(0, start - READ_BYTES))
    before = handle.read(start - max(0, start - READ_BYTES))
    previous_line = before[:-1].rsplit(b"\n", 1)[-1].removesuffix(b"\r").decode("utf-8")
    handle.seek(start)
    offset = start
    pending = b""
    open_lines: list[bytes] = []
    quotes = 0
    while data := handle.read(READ_BYTES):
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        for line in lines:
            open_lines.append(line)
            quotes += line.count(b'"')
            if quotes % 2:
                continue
            row = b"\n".join(open_lines).removesuffix(b"\r").decode("utf-8")
            yield offset, row, previous_line
            offset += sum(map(len, open_lines)) + len(open_lines)
            previous_line = open_lines[-1].removesuffix(b"\r").decode("utf-8")
            open_lines.clear()


def _count_rows(handle: BinaryIO, start: int, end: int) -> int:
    """Rows between two cuts, split as the whole file's parse splits them."""
    plain = _count_plain_lines(handle, start, end)
    if plain is not None:
        return plain
    return sum(map(len, row_lists(decode_utf8(read_range(handle, start, end), offset=start))))


def _count_plain_lines(handle: BinaryIO, start: int, end: int) -> int | None:
    """The line count of a range that the parse splits into one row per line; else None.

    That holds for valid UTF-8 that does not start with whitespace (nothing to trim) and whose
    every line holds an even number of ``"`` (no quoted field spans lines). The check runs on
    the bytes in C: keeping only ``"`` and ``\n``, then dropping ``""`` pairs, leaves a ``"``
    exactly where a line's count is odd.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    open_line = b""  # the quotes of the line that continues into the next chunk
    ends_with_newline = True
    chunks = read_range(handle, start, end)
    try:
        for number, chunk in enumerate(chunks):
            if number == 0 and chunk[:1] not in _PLAIN_FIRST_BYTES:
                return None
            decoder.decode(chunk)
            marks = open_line + chunk.translate(None, _NOT_QUOTE_OR_NEWLINE)
            complete, newline, open_line = marks.rpartition(b"\n")
            if b'"' in (complete + newline).replace(b'""', b""):
                return None
            lines += marks.count(b"\n")
            ends_with_newline = chunk.endswith(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    if b'"' in open_line.replace(b'""', b""):
        return None
    return lines + (0 if ends_with_newline else 1)
