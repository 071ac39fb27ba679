"""Where a file is cut for a parallel parse: never inside a row, a timestamp or a trimmed edge."""

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from privatefolio_daemon.sources.importers import shard_plan
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.csv_rows import iter_rows
from privatefolio_daemon.sources.importers.shard_plan import ShardPlan, plan_shards

BINANCE_HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
EXPORT_HEADER = (
    '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
    '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method","Blockchain Tx",'
    '"Notes"'
)


def planned(tmp_path: Path, content: bytes, count: int = 4) -> ShardPlan:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    plan = plan_shards(path, count, ParserContext())
    assert plan is not None
    return plan


def shard_rows(content: bytes, plan: ShardPlan) -> list[list[str]]:
    """Each shard's rows as its worker reads them (after the header)."""
    return [
        list(iter_rows([plan.header + "\n", content[s.start : s.end].decode()]))[1:]
        for s in plan.shards
    ]


def test_shards_hold_every_row_once_with_their_file_index(tmp_path: Path) -> None:
    notes = ['"one line"', '"two\nlines"', '"three\n""quoted""\nlines"', '"a \\, comma"']
    rows = [
        f'"2021-01-01 00:00:{n % 60:02d}","ex.binance","W","Deposit","1","ex.binance:BTC",'
        f'"","","","","","","",{notes[n % 4]}'
        for n in range(4_000)
    ]
    content = "\r\n".join([EXPORT_HEADER, *rows]).encode()
    plan = planned(tmp_path, content)

    assert len(plan.shards) == 4
    whole = list(iter_rows([content.decode()]))[1:]
    parts = shard_rows(content, plan)
    assert [row for part in parts for row in part] == whole
    assert [shard.first_index for shard in plan.shards] == [
        sum(map(len, parts[:n])) for n in range(4)
    ]


def plain_export(count: int) -> bytes:
    """Rows of one line each: CRLF and LF endings, a lone CR inside a quoted field, blank lines
    in the middle, characters of two and three UTF-8 bytes, no line break at the end."""
    lines = [EXPORT_HEADER]
    for n in range(count):
        notes = ("plain", "caf\u00e9 \u20ac5", '"a\rb"', '""')[n % 4]
        ending = "\r" if n % 3 else ""
        lines.append(
            f'"2021-01-01 00:00:{n % 60:02d}","ex.binance","W","Deposit","1","ex.binance:BTC",'
            f'"","","","","","","",{notes}{ending}'
        )
        if n % 97 == 50:
            lines.append("")
    return "\n".join(lines).encode()


def test_plain_lines_are_counted_on_the_bytes_with_the_same_file_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = plain_export(4_000)
    whole = list(iter_rows([content.decode()]))[1:]
    monkeypatch.setattr(shard_plan, "READ_BYTES", 1_000)  # lines and characters span chunks

    def no_decoding(chunks: Iterable[bytes], offset: int = 0) -> Iterator[str]:
        raise AssertionError("a plain file was decoded to split its rows in Python")

    with monkeypatch.context() as patched:
        patched.setattr(shard_plan, "decode_utf8", no_decoding)
        plan = planned(tmp_path, content)
    parts = shard_rows(content, plan)

    assert len(plan.shards) == 4
    assert [row for part in parts for row in part] == whole
    assert [shard.first_index for shard in plan.shards] == [
        sum(map(len, parts[:n])) for n in range(4)
    ]


@pytest.mark.parametrize(
    "first_shard",
    [
        pytest.param(b'"2021-01-01 00:00:00","p","W","Deposit","1","a\n', id="odd-quotes"),
        pytest.param(b"\n\n", id="leading-blank-lines"),
        pytest.param(b"\xc3\xa9\xff\n", id="not-utf-8"),
    ],
)
def test_other_lines_are_counted_as_the_parse_splits_them(
    tmp_path: Path, first_shard: bytes
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(first_shard + b"rest")
    with path.open("rb") as handle:
        assert shard_plan._count_plain_lines(handle, 0, len(first_shard)) is None


def test_a_grouping_format_is_never_cut_inside_one_timestamp(tmp_path: Path) -> None:
    rows = [
        f'"1","2021-01-01 00:{n // 600:02d}:00","Spot","{("Buy", "Sell")[n % 2]}","BTC","1",""'
        for n in range(6_000)
    ]  # ten runs of 600 rows that share a second
    content = "\n".join([BINANCE_HEADER, *rows]).encode()
    plan = planned(tmp_path, content)

    assert [shard.first_index % 600 for shard in plan.shards] == [0] * len(plan.shards)
    assert len(plan.shards) == 4


def test_no_cut_without_a_change_of_timestamp_nearby(tmp_path: Path) -> None:
    rows = ['"1","2021-01-01 00:00:00","Spot","Deposit","BTC","1",""'] * 20_000
    path = tmp_path / "file.csv"
    path.write_bytes("\n".join([BINANCE_HEADER, *rows]).encode())

    assert plan_shards(path, 4, ParserContext()) is None


def test_no_cut_next_to_a_line_the_edges_would_trim(tmp_path: Path) -> None:
    row = '"2021-01-01 00:00:00","p","W","Deposit","1","a","","","","","","","",""'
    rows = [row + ("  " if n % 50 else "") for n in range(5_000)]
    content = "\n".join([EXPORT_HEADER, *rows]).encode()
    plan = planned(tmp_path, content)

    for shard in plan.shards[1:]:
        assert content[: shard.start].endswith(b'""\n')
    assert [row for part in shard_rows(content, plan) for row in part] == list(
        iter_rows([content.decode()])
    )[1:]


def test_files_that_cannot_be_cut(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    for content in (b"", b"  \n\n", b"Unknown,Header\n1,2\n3,4", b"\xff\xfe" * 100):
        path.write_bytes(content)
        assert plan_shards(path, 4, ParserContext()) is None
