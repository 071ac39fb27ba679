"""Streaming: chunk boundaries, timestamp runs, the unsorted-file restart, and the fast hash."""

from collections.abc import Iterator

import pytest

from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.csv_rows import iter_rows, line_of_row
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.parse_file import Batch, Restart, StreamingImport

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'


def _row(time: str, operation: str, coin: str, change: str) -> str:
    return f'"1","2024-01-01 {time}","Spot","{operation}","{coin}","{change}",""'


SWAP_AT_1 = [_row("00:00:01", "Buy", "ETH", "1"), _row("00:00:01", "Sell", "USDT", "-2000")]
SWAP_AT_2 = [_row("00:00:02", "Buy", "ETH", "0.5"), _row("00:00:02", "Sell", "USDT", "-1000")]


def _chunks(text: str, size: int) -> Iterator[str]:
    return (text[start : start + size] for start in range(0, len(text), size))


def _stream(text: str, chunk_size: int = 1 << 16) -> tuple[list[Batch | Restart], StreamingImport]:
    parse = StreamingImport(
        lambda: _chunks(text, chunk_size), file_import_id="7", context=ParserContext(), batch_size=2
    )
    return list(parse), parse


def _records(items: list[Batch | Restart]) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    logs: list[tuple[str, str, str | None]] = []
    txs: list[str] = []
    for item in items:
        if isinstance(item, Restart):
            logs, txs = [], []
            continue
        logs += [(log.id, log.change, log.txId) for log in item.logs]
        txs += [tx.id for tx in item.transactions]
    return logs, txs


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 16])
def test_rows_do_not_depend_on_chunk_boundaries(chunk_size: int) -> None:
    text = '\ufeff a,"multi\r\nline",b\r\nc\rd\n\n"e"\r\n  \n'

    assert list(iter_rows(_chunks(text, chunk_size))) == ['a,"multi\r\nline",b', "c\rd", "", '"e"']


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 16])
def test_a_row_is_found_on_the_line_it_starts_on(chunk_size: int) -> None:
    text = '\ufeff\r\n\n header\r\n"multi\r\nline",b\r\nc\rd\n\n"e"\r\n'

    lines = [line_of_row(_chunks(text, chunk_size), row) for row in range(6)]

    assert lines == [3, 4, 6, 7, 8, None]


def test_a_time_sorted_file_is_finalised_run_by_run_in_small_batches() -> None:
    items, parse = _stream("\n".join([HEADER, *SWAP_AT_1, *SWAP_AT_2]), chunk_size=5)

    assert not any(isinstance(item, Restart) for item in items)
    first = items[0]
    assert isinstance(first, Batch)
    assert {log.timestamp for log in first.logs} == {1704067201000}  # run 1 left before run 2
    logs, txs = _records(items)
    assert len(logs) == 4 and len(txs) == 2
    assert {tx_id for _, _, tx_id in logs} == set(txs)
    assert parse.meta is not None and (parse.meta.rows, parse.meta.logs) == (4, 4)


def test_descending_and_ascending_files_give_the_same_records() -> None:
    ascending, _ = _stream("\n".join([HEADER, *SWAP_AT_1, *SWAP_AT_2]))
    descending, _ = _stream("\n".join([HEADER, *SWAP_AT_2, *SWAP_AT_1]))

    def content(items: list[Batch | Restart]) -> set[tuple[str, str | None]]:
        return {(change, tx_id) for _, change, tx_id in _records(items)[0]}

    assert content(ascending) == content(descending)


def test_an_unsorted_file_restarts_and_merges_a_reappearing_timestamp() -> None:
    rows = [
        _row("00:00:01", "Buy", "ETH", "1"),
        _row("00:00:02", "Deposit", "BTC", "1"),
        _row("00:00:01", "Buy", "ETH", "2"),
        _row("00:00:01", "Sell", "USDT", "-6000"),
    ]
    items, parse = _stream("\n".join([HEADER, *rows]))

    assert [item for item in items if isinstance(item, Restart)] == [
        Restart("The file is not sorted by time; grouping all rows at once")
    ]
    logs, txs = _records(items)
    merged_id = f"7_{string_hash('ex.binance:ETH_Buy_3')}"
    assert (merged_id, "3", txs[-1]) in logs
    assert len(logs) == 3 and len(txs) == 2
    assert parse.meta is not None and (parse.meta.rows, parse.meta.logs) == (4, 3)


def test_progress_is_reported_every_thousand_rows() -> None:
    rows = [_row(f"00:{i // 60:02d}:{i % 60:02d}", "Deposit", "ETH", "1") for i in range(2500)]
    messages: list[tuple[float | None, str]] = []
    parse = StreamingImport(
        lambda: ["\n".join([HEADER, *rows])],
        file_import_id="7",
        context=ParserContext(),
        on_progress=lambda percent, message: messages.append((percent, message)),
    )
    for _ in parse:
        pass

    assert messages == [(None, "Parsing row 1000"), (None, "Parsing row 2000")]


@pytest.mark.parametrize(
    "text", ["", "a", "ex.binance:ETH_Buy_6e-7", "分发 ETF", "😀 non-BMP", "x" * 600]
)
def test_fast_hash_equals_the_reference_hash(text: str) -> None:
    assert fast_string_hash(text) == string_hash(text)


@pytest.mark.parametrize("open_quote", [False, True])
def test_a_row_too_long_is_found_on_its_line(open_quote: bool) -> None:
    long_row = '"x' + "y" * 1_100_000 + ("" if open_quote else '"')
    text = "\n".join(["header", "a", '"b\nc"', long_row, "d"])

    assert [line_of_row(_chunks(text, 1 << 16), row) for row in (3, 4)] == [5, None]
