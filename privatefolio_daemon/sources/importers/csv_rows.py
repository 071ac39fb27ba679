"""Privatefolio's own CSV splitting rules (file-formats §1.1), which are not RFC 4180.

Rows come from a generator over text chunks, so a file never has to be held in memory. The text
is trimmed like JavaScript's ``trim()`` (which also removes a BOM) before it is split.
"""

import re
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import methodcaller, mod

from privatefolio_daemon.sources.importers.base import ImportFormatError

JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# A quoted field may span lines here (the original's ``.`` stopped at line breaks, which broke
# the round trip of exported notes containing a newline), and a doubled ``""`` inside it is
# text first (the original ended the field at ``"";``, which cut exported notes at a quote
# followed by a semicolon); otherwise the rule is the original's.
_GENERIC_FIELD = re.compile(r'("(?:[^"]|"")*"|"(?s:.*?)"|[^",;]+)(?=\s*[;,]|\s*\Z)')
_EMPTY_UNQUOTED_FIELD = re.compile(r"(?:^|[,;])[ \t]*(?:[,;]|$)")
_CURRENT_VALUE = re.compile(r"CurrentValue @ \$\d+(\.\d+)?/Eth,?")
_MISDECODED_BOM = "ï»¿"
#: The longest row read, in characters (a row is refused as soon as it is known to be longer). No
#: export comes near it; without it, a file whose lines end with a carriage return only, or whose
#: quote is never closed, would be held whole as one row.
MAX_ROW_CHARS = 1 << 20


class RowTooLong(ImportFormatError):
    """A row of more than :data:`MAX_ROW_CHARS` characters, ``text`` as far as it was read;
    ``rows_before`` rows of the text (its first line included) come before it."""

    def __init__(self, rows_before: int, text: str) -> None:
        if "\r" in text:
            cause = "its lines end with a carriage return only; save it with line feeds or CRLF"
        else:
            cause = "a quote may be left open, or it may not be a CSV file"
        self.too_long = f"longer than {MAX_ROW_CHARS:,} characters ({cause})"
        super().__init__(f"the row is {self.too_long}")
        self.rows_before = rows_before


def sanitise_header(row: str) -> str:
    """The header text that identifies a format (file-formats §1, step 4)."""
    return _CURRENT_VALUE.sub("CurrentValue", row.replace(_MISDECODED_BOM, "", 1), count=1).strip(
        JS_WHITESPACE
    )


def row_lists(chunks: Iterable[str]) -> Iterator[list[str]]:
    """Rows as split, a list per chunk, after the leading trim; the end is not trimmed yet."""
    carry = ""
    started = False
    open_parts: list[str] = []
    rows_before = 0
    for chunk in _pieces(chunks, MAX_ROW_CHARS):
        if not started:
            chunk = chunk.lstrip(JS_WHITESPACE)
            if not chunk:
                continue
            started = True
        text = carry + chunk
        lines = text.split("\n")
        carry = lines.pop()
        if open_parts or _has_odd_quotes(lines):
            lines = _join_quoted_lines(lines, open_parts)
        if "\r" in text:
            lines = list(map(_WITHOUT_CR, lines))
        # Only a chunk's first row can have begun in an earlier chunk, so only it can be longer.
        if lines and len(lines[0]) > MAX_ROW_CHARS:
            raise RowTooLong(rows_before, lines[0])
        yield lines
        rows_before += len(lines)
        if len(carry) + sum(map(len, open_parts)) > MAX_ROW_CHARS:
            raise RowTooLong(rows_before, open_parts[0] if open_parts else carry)
    if open_parts:
        open_parts.append(carry)
        carry = "\n".join(open_parts)
    if carry:
        yield [carry]


_WITHOUT_CR = methodcaller("removesuffix", "\r")


def _pieces(chunks: Iterable[str], size: int) -> Iterator[str]:
    """The chunks, those longer than ``size`` cut into pieces of ``size``."""
    for chunk in chunks:
        if len(chunk) <= size:
            yield chunk
        else:
            yield from (chunk[start : start + size] for start in range(0, len(chunk), size))


def _has_odd_quotes(lines: list[str]) -> bool:
    return any(map(mod, map(str.count, lines, repeat('"')), repeat(2)))


def _join_quoted_lines(lines: list[str], open_parts: list[str]) -> list[str]:
    """Lines → rows, where a line with an odd number of ``"`` opens or closes a quoted field.

    ``open_parts`` holds the lines of a row still open at the end (it is updated in place).
    """
    rows: list[str] = []
    for line in lines:
        if open_parts:
            open_parts.append(line)
            if line.count('"') % 2:
                rows.append("\n".join(open_parts))
                open_parts.clear()
        elif line.count('"') % 2:
            open_parts.append(line)
        else:
            rows.append(line)
    return rows


def _is_blank(row: str) -> bool:
    return not row or (row[0] in JS_WHITESPACE and not row.strip(JS_WHITESPACE))


def iter_rows(chunks: Iterable[str]) -> Iterator[str]:
    """Split text into rows: ``\\n`` or ``\\r\\n`` outside double quotes ends a row.

    A lone ``\\r`` stays part of the row; blank lines inside the text become empty rows. The
    last row and trailing blank rows are held back so the end of the text can be trimmed.
    """
    held: list[str] = []  # the last non-blank row so far, then the blank rows after it
    for rows in row_lists(chunks):
        last = len(rows) - 1
        while last >= 0 and _is_blank(rows[last]):
            last -= 1
        if last < 0:
            held.extend(rows)
            continue
        yield from held
        yield from rows[:last]
        held = rows[last:]
    if held:
        last_row = held[0].rstrip(JS_WHITESPACE)
        if last_row:
            yield last_row


def _unquote(column: str) -> str:
    if column.startswith('"') and column.endswith('"'):
        column = column[1:-1].replace('""', '"')
    return column.replace("\\,", ",")


def split_generic(row: str, expected: int) -> list[str]:
    """The "generic splitter": quoted or unquoted fields separated by ``,`` or ``;``.

    Empty unquoted fields are skipped; when the count is wrong the row is split on ``;`` only.
    Raises :class:`ImportFormatError` when the count still differs from ``expected``.

    Common rows are split by ``str.split``: either every field is quoted and ``"`` appears only
    around fields (so each ``","`` is a separator), or there is no ``"``, ``;`` or ``\\`` at all.
    Anything else goes through :func:`split_generic_exact`.
    """
    if row[:1] == '"':
        if row[-1] == '"' and row.count('"') == 2 * expected:
            columns = row[1:-1].split('","')
            if len(columns) == expected:
                if "\\," in row:
                    return [column.replace("\\,", ",") for column in columns]
                return columns
    elif '"' not in row and ";" not in row and "\\" not in row:
        columns = row.split(",")
        if "" in columns:
            columns = [column for column in columns if column]
        if len(columns) == expected:
            return columns
    return split_generic_exact(row, expected)


def split_generic_exact(row: str, expected: int) -> list[str]:
    """:func:`split_generic` by the field pattern alone (the reference for tests)."""
    fields = _GENERIC_FIELD.findall(row)
    columns = fields if len(fields) == expected else row.split(";")
    columns = [_unquote(column) for column in columns]
    if len(columns) != expected:
        # The count a reader of the row sees: its semicolon fields only where it has any, and
        # those keep their empty fields.
        by_semicolons = ";" in row
        received = len(columns) if by_semicolons else len(fields)
        raise column_count_error(expected, received, _count_hint(row, by_semicolons))
    return columns


def _count_hint(row: str, by_semicolons: bool) -> str:
    if not row.strip():
        return "the row is empty"
    if not by_semicolons and _EMPTY_UNQUOTED_FIELD.search(row):
        return 'an empty field must be written "": one left empty without quotes is skipped'
    return ""


def column_count_error(expected: int, received: int, hint: str = "") -> ImportFormatError:
    detail = f" ({hint})" if hint else ""
    return ImportFormatError(
        f"Invalid number of columns: expected {expected}, received {received}{detail}"
    )


def split_outside_quotes(row: str) -> list[str]:
    """The "quote-stripping splitter": split on commas outside quotes, then drop every ``"``."""
    pieces = row.split(",")
    target_parity = row.count('"') % 2
    columns: list[str] = []
    current = pieces[0]
    parity = current.count('"') % 2
    for piece in pieces[1:]:
        if parity == target_parity:
            columns.append(current.replace('"', ""))
            current = piece
        else:
            current = f"{current},{piece}"
        parity = (parity + piece.count('"')) % 2
    columns.append(current.replace('"', ""))
    return columns


def split_outside_quotes_exactly(row: str, expected: int) -> list[str]:
    """:func:`split_outside_quotes`, failing unless the row has ``expected`` columns."""
    columns = split_outside_quotes(row)
    if len(columns) != expected:
        raise column_count_error(expected, len(columns))
    return columns


def line_of_row(chunks: Iterable[str], row: int) -> int | None:
    """The 1-based line of the text on which data row ``row`` starts (the header is row 0), as
    :func:`iter_rows` splits it; ``None`` when the text has fewer rows or one before it is too
    long."""
    lines_before = 0

    def after_leading_whitespace() -> Iterator[str]:
        nonlocal lines_before
        pieces = iter(chunks)
        for chunk in pieces:
            text = chunk.lstrip(JS_WHITESPACE)
            lines_before += chunk.count("\n", 0, len(chunk) - len(text))
            if text:
                yield text
                break
        yield from pieces

    line, seen = 1, 0
    try:
        for rows in row_lists(after_leading_whitespace()):
            for text in rows:
                if seen == row:
                    return lines_before + line
                line += text.count("\n") + 1
                seen += 1
    except RowTooLong:
        # Every row before the long one was seen, so that one starts on the current line.
        return lines_before + line if seen == row else None
    return None
