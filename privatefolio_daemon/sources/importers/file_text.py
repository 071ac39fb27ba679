"""A file's text, read in chunks as UTF-8; a byte that is not UTF-8 is reported with its line.

A file that is not UTF-8 is refused, not guessed at: most often it is a CSV file saved by a
spreadsheet in a legacy encoding (an accented name in a note), and the message says where the
byte is and how to save the file instead.
"""

import codecs
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from privatefolio_daemon.sources.importers.base import ImportFormatError

READ_BYTES = 1 << 20
_UTF16_BYTE_ORDER_MARKS = (b"\xff\xfe", b"\xfe\xff")
_SAVE_AS_UTF8 = 'if it is a CSV file, save it as UTF-8 (in Excel: "CSV UTF-8") and import it again'


class NotUtf8Text(ImportFormatError):
    """The byte at ``offset`` (from the start of the file) is not valid UTF-8 there."""

    def __init__(self, offset: int, byte: int, *, utf16: bool = False, line: int | None = None):
        super().__init__(_message(offset, byte, utf16=utf16, line=line))
        self.offset, self.byte, self.utf16 = offset, byte, utf16

    def on_line(self, line: int) -> "NotUtf8Text":
        return NotUtf8Text(self.offset, self.byte, utf16=self.utf16, line=line)


def _message(offset: int, byte: int, *, utf16: bool, line: int | None) -> str:
    if utf16:
        return f"The file is UTF-16 text, not UTF-8: {_SAVE_AS_UTF8}"
    where = f"on line {line} (offset {offset})" if line is not None else f"at offset {offset}"
    return f"The file is not UTF-8 text: invalid byte 0x{byte:02X} {where}; {_SAVE_AS_UTF8}"


def decode_utf8(byte_chunks: Iterable[bytes], offset: int = 0) -> Iterator[str]:
    """Decode chunks of a file that start at byte ``offset`` of it; raises :class:`NotUtf8Text`."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    chunk = b""
    try:
        for chunk in byte_chunks:
            if offset == 0 and _utf16_without_mark(chunk):
                raise NotUtf8Text(0, chunk[0], utf16=True)
            text = decoder.decode(chunk)
            offset += len(chunk)
            if text:
                yield text
        chunk = b""
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise _not_utf8(error, offset, chunk) from None
    if tail:
        yield tail


def _utf16_without_mark(start: bytes) -> bool:
    """Text whose every other byte is NUL, from its start: UTF-16 with no byte order mark (which
    would read as UTF-8 with NUL characters)."""
    sample = start[:256]
    half = len(sample) // 2
    if half < 4:
        return False
    even, odd = sample[0 : 2 * half : 2].count(0), sample[1 : 2 * half : 2].count(0)
    return max(even, odd) >= 0.9 * half and min(even, odd) <= 0.1 * half


def _not_utf8(error: UnicodeDecodeError, offset: int, chunk: bytes) -> NotUtf8Text:
    """``error.object`` is the decoder's input: the bytes it held back from earlier chunks (an
    unfinished character) followed by ``chunk``, which starts at ``offset``."""
    held_back = len(error.object) - len(chunk)
    position = offset - held_back + error.start
    utf16 = position == 0 and bytes(error.object[:2]) in _UTF16_BYTE_ORDER_MARKS
    return NotUtf8Text(position, error.object[error.start], utf16=utf16)


def read_text(path: Path, start: int = 0, end: int | None = None) -> Iterator[str]:
    """The text of ``path`` from byte ``start`` to ``end`` (a byte that is not UTF-8 is reported
    with the line it is on)."""
    with path.open("rb") as handle:
        stop = end if end is not None else path.stat().st_size
        try:
            yield from decode_utf8(read_range(handle, start, stop), offset=start)
        except NotUtf8Text as error:
            raise error.on_line(_line_at(handle, error.offset)) from None


def _line_at(handle: BinaryIO, offset: int) -> int:
    """The 1-based line of the file that byte ``offset`` is on."""
    return 1 + sum(chunk.count(b"\n") for chunk in read_range(handle, 0, offset))


def read_range(handle: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """The bytes from ``start`` to ``end``, in chunks."""
    handle.seek(start)
    remaining = end - start
    while remaining > 0 and (chunk := handle.read(min(READ_BYTES, remaining))):
        remaining -= len(chunk)
        yield chunk
