"""Reading a file as UTF-8: a byte that is not is reported where it is, with how to fix it."""

from pathlib import Path

import pytest

from privatefolio_daemon.sources.importers.file_text import NotUtf8Text, decode_utf8, read_text

SAVE_AS_UTF8 = 'if it is a CSV file, save it as UTF-8 (in Excel: "CSV UTF-8") and import it again'


def test_an_invalid_byte_is_reported_with_its_offset() -> None:
    with pytest.raises(NotUtf8Text) as raised:
        list(decode_utf8([b"abc\xff\xfe"]))

    assert str(raised.value) == (
        f"The file is not UTF-8 text: invalid byte 0xFF at offset 3; {SAVE_AS_UTF8}"
    )


def test_an_unfinished_character_from_the_chunk_before_is_reported_at_its_own_offset() -> None:
    with pytest.raises(NotUtf8Text) as raised:
        list(decode_utf8([b"ab\xc3", b"(cd"], offset=100))

    assert (raised.value.offset, raised.value.byte) == (102, 0xC3)


def test_a_file_that_ends_inside_a_character_is_reported_where_the_character_starts() -> None:
    with pytest.raises(NotUtf8Text) as raised:
        list(decode_utf8([b"ab", "分".encode()[:2]]))

    assert (raised.value.offset, raised.value.byte) == (2, 0xE5)


def test_characters_split_across_chunks_decode() -> None:
    encoded = "分发".encode()

    assert "".join(decode_utf8([encoded[:2], encoded[2:4], encoded[4:]])) == "分发"


def test_a_file_saved_in_a_legacy_encoding_is_refused_with_the_line_of_the_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "statement.csv"
    path.write_bytes("Date,Note\n2021-01-01,plain\r\n2021-01-02,café\n".encode("cp1252"))

    with pytest.raises(NotUtf8Text) as raised:
        list(read_text(path))

    assert str(raised.value) == (
        f"The file is not UTF-8 text: invalid byte 0xE9 on line 3 (offset 42); {SAVE_AS_UTF8}"
    )


def test_a_part_of_a_file_reports_the_line_and_offset_in_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_bytes(b"header\none\ntwo\nthr\xffee\nfour\n")

    assert "".join(read_text(path, 3, 14)) == "der\none\ntwo"
    with pytest.raises(NotUtf8Text) as raised:
        list(read_text(path, 15))

    assert "invalid byte 0xFF on line 4 (offset 18)" in str(raised.value)


@pytest.mark.parametrize("mark", ["\ufeff", ""])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such_with_or_without_its_byte_order_mark(
    tmp_path: Path, encoding: str, mark: str
) -> None:
    """Without the mark, its Latin letters would read as UTF-8 with a NUL after (or before)
    each."""
    path = tmp_path / "statement.csv"
    path.write_bytes(f"{mark}Date,Note\n2021-01-01,plain\n".encode(encoding))

    with pytest.raises(NotUtf8Text) as raised:
        list(read_text(path))

    assert str(raised.value) == f"The file is UTF-16 text, not UTF-8: {SAVE_AS_UTF8}"


def test_a_short_file_or_a_later_part_is_not_taken_for_utf16(tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_bytes(b"a\x00b\x00c\x00d\x00e\x00f\x00")
    assert list(read_text(path, 2)) == ["b\x00c\x00d\x00e\x00f\x00"]
    path.write_bytes(b"a\x00b")
    assert list(read_text(path)) == ["a\x00b"]
