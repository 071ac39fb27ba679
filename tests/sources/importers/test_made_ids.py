"""The ids a file repeats among those its group finaliser made, found during the parse and
across the shards of a parallel parse: a repeated swap id, so the bulk load can drop the older
copies up front (the reference's quirk); a repeated merged log id, so the later log is renamed
and no balance is lost."""

from collections import Counter

from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.parse_file import Batch, ImportSummary, StreamingImport

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'


def _row(time: str, operation: str, coin: str, change: str) -> str:
    return f'"1","2024-01-01 {time}","Spot","{operation}","{coin}","{change}",""'


def _swap(time: str, bought: str = "1") -> list[str]:
    return [_row(time, "Buy", "ETH", bought), _row(time, "Sell", "USDT", "-2000")]


def _merged_deposit(time: str) -> list[str]:
    return [_row(time, "Deposit", "BTC", "0.25"), _row(time, "Deposit", "BTC", "0.75")]


def _parse(rows: list[str], first_index: int = 0) -> tuple[ImportSummary, dict[str, set[str]]]:
    """The summary, and the ids the parse gave out more than once, by table."""
    parse = StreamingImport(
        lambda: ["\n".join([HEADER, *rows])],
        file_import_id="7",
        context=ParserContext(),
        first_index=first_index,
    )
    ids: dict[str, Counter[str]] = {"audit_logs": Counter(), "transactions": Counter()}
    for batch in parse:
        assert isinstance(batch, Batch)
        ids["audit_logs"].update(log.id for log in batch.logs)
        ids["transactions"].update(tx.id for tx in batch.transactions)
    assert parse.summary is not None
    repeated = {table: {i for i, n in counts.items() if n > 1} for table, counts in ids.items()}
    return parse.summary, {table: found for table, found in repeated.items() if found}


def test_a_swap_id_made_twice_is_reported_and_one_made_once_is_not() -> None:
    """Two swaps of ETH for USDT at one price share an id (the pair and the price); another
    price gives another id."""
    rows = [*_swap("00:00:01"), *_swap("00:00:02", bought="2"), *_swap("00:00:03")]
    summary, given_twice = _parse(rows)

    assert len(summary.made_ids.made["transactions"]) == 2
    assert summary.made_ids.repeated == given_twice
    assert len(given_twice["transactions"]) == 1
    assert "audit_logs" not in given_twice


def test_a_merged_log_made_twice_is_renamed_with_its_row_index() -> None:
    """Two merges at different times to the same sum: the later log gets ``_<row index>``."""
    summary, given_twice = _parse([*_merged_deposit("00:00:01"), *_merged_deposit("00:00:05")])

    assert given_twice == {} and summary.made_ids.repeated == {}
    first, later = sorted(summary.made_ids.made["audit_logs"], key=len)
    assert later == f"{first}_2"


def _logs(rows: list[str], first_index: int = 0) -> list[str]:
    parse = StreamingImport(
        lambda: ["\n".join([HEADER, *rows])],
        file_import_id="7",
        context=ParserContext(),
        first_index=first_index,
    )
    return [log.id for batch in parse if isinstance(batch, Batch) for log in batch.logs]


def test_shards_merged_in_order_give_what_the_whole_file_gives() -> None:
    first = [*_swap("00:00:01"), *_merged_deposit("00:00:02")]
    second = [*_swap("00:00:03", bought="2"), *_swap("00:00:04")]
    third = [*_merged_deposit("00:00:05"), *_swap("00:00:06", bought="3"), *_swap("00:00:07", "3")]
    whole, given_twice = _parse(first + second + third)

    merged = _parse(first)[0]
    assert merged.merge(_parse(second, first_index=len(first))[0]) == {}
    renames = merged.merge(_parse(third, first_index=len(first) + len(second))[0])

    assert whole.made_ids.repeated == given_twice == merged.made_ids.repeated
    assert list(given_twice) == ["transactions"] and len(given_twice["transactions"]) == 2
    [repeated_log] = renames["audit_logs"]
    third_logs = _logs(third, first_index=len(first) + len(second))
    renamed = [f"{i}_{len(first) + len(second)}" if i == repeated_log else i for i in third_logs]
    assert renamed == _logs(first + second + third)[-len(third_logs) :]
