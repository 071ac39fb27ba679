"""Privatefolio's own CSV splitting rules (file-formats §1.1), which are not RFC 4180.

Rows come from a generator over text chunks, so a file never has to be held in memory. The text
is trimmed like JavaScript's ``trim()`` (which also removes a BOM) before it is split.
"""

import re
from collections.abc import Iterable, Iterator

from privatefolio_daemon.sources.importers.base import ImportFormatError

JS_WHITESPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# A quoted field may span lines here (the original's ``.`` stopped at line breaks, which broke
# the round trip of exported notes containing a newline); otherwise the rule is the original's.
_GENERIC_FIELD = re.compile(r'("(?s:.*?)"|[^",;]+)(?=\s*[;,]|\s*\Z)')
_CURRENT_VALUE = re.compile(r"CurrentValue @ \$\d+(\.\d+)?/Eth,?")
_MISDECODED_BOM = "ï»¿"


def sanitise_header(row: str) -> str:
    """The header text that identifies a format (file-formats §1, step 4)."""
    return _CURRENT_VALUE.sub("CurrentValue", row.replace(_MISDECODED_BOM, "", 1), count=1).strip(
        JS_WHITESPACE
    )


def _complete_rows(chunks: Iterable[str]) -> Iterator[str]:
    """Rows as split, after the leading trim; the end of the text is not trimmed yet."""
    carry = ""
    started = False
    open_parts: list[str] = []
    for chunk in chunks:
        if not started:
            chunk = chunk.lstrip(JS_WHITESPACE)
            if not chunk:
                continue
            started = True
        lines = (carry + chunk).split("\n")
        carry = lines.pop()
        for line in lines:
            if open_parts:
                open_parts.append(line)
                if line.count('"') % 2:
                    row = "\n".join(open_parts)
                    open_parts = []
                    yield row[:-1] if row.endswith("\r") else row
            elif '"' in line and line.count('"') % 2:
                open_parts.append(line)
            else:
                yield line[:-1] if line.endswith("\r") else line
    if open_parts:
        open_parts.append(carry)
        carry = "\n".join(open_parts)
    if carry:
        yield carry


def iter_rows(chunks: Iterable[str]) -> Iterator[str]:
    """Split text into rows: ``\\n`` or ``\\r\\n`` outside double quotes ends a row.

    A lone ``\\r`` stays part of the row; blank lines inside the text become empty rows. The
    last row and trailing blank rows are held back so the end of the text can be trimmed.
    """
    last: str | None = None
    blank: list[str] = []
    for row in _complete_rows(chunks):
        if not row or (row[0] in JS_WHITESPACE and not row.strip(JS_WHITESPACE)):
            blank.append(row)
            continue
        if last is not None:
            yield last
        if blank:
            yield from blank
            blank = []
        last = row
    if last is not None:
        last = last.rstrip(JS_WHITESPACE)
        if last:
            yield last


def _unquote(column: str) -> str:
    if column.startswith('"') and column.endswith('"'):
        column = column[1:-1].replace('""', '"')
    return column.replace("\\,", ",")


def split_generic(row: str, expected: int) -> list[str]:
    """The "generic splitter": quoted or unquoted fields separated by ``,`` or ``;``.

    Empty unquoted fields are skipped; when the count is wrong the row is split on ``;`` only.
    Raises :class:`ImportFormatError` when the count still differs from ``expected``.
    """
    if row.startswith('"') and row.endswith('"') and row.count('"') == 2 * expected:
        # With exactly ``expected`` pieces, every quote is accounted for by the separators.
        columns = row[1:-1].split('","')
        if len(columns) == expected:
            if "\\," in row:
                columns = [column.replace("\\,", ",") for column in columns]
            return columns
    elif '"' not in row and ";" not in row and "\\" not in row:
        columns = [column for column in row.split(",") if column]
        if len(columns) == expected:
            return columns
    columns = _GENERIC_FIELD.findall(row)
    if len(columns) != expected:
        columns = row.split(";")
    columns = [_unquote(column) for column in columns]
    if len(columns) != expected:
        raise ImportFormatError(
            f"Invalid number of columns: expected {expected}, received {len(columns)}"
        )
    return columns


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
