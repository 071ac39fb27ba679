"""The importers' fast paths give exactly what their exact references give, on random input."""

from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.csv_export import encode_csv_row
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers import binance
from privatefolio_daemon.sources.importers.amounts import (
    big_string,
    fixed_and_string,
    fixed_and_string_exact,
    string_of_fixed,
    string_of_fixed_exact,
)
from privatefolio_daemon.sources.importers.base import ImportFormatError, Parser, ParserContext
from privatefolio_daemon.sources.importers.csv_rows import (
    JS_WHITESPACE,
    iter_rows,
    split_generic,
    split_generic_exact,
)
from privatefolio_daemon.sources.importers.fast_hash import fast_number_hash, fast_string_hash
from privatefolio_daemon.sources.importers.parse_file import Batch, Restart, StreamingImport
from privatefolio_daemon.sources.importers.record_builders import new_audit_log, new_transaction
from privatefolio_daemon.sources.importers.timestamps import (
    parse_datetime_with_offset,
    parse_utc_datetime,
    parse_utc_datetime_exact,
)

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
OPERATIONS = (
    "Buy", "Sell", "Fee", "Deposit", "Withdraw", "Withdrawal", "Distribution", "Sold",
    "Transaction Related", "Small Assets Exchange BNB", "Transfer Between Main and Funding Wallet",
    "Commission History",
)  # fmt: skip
DIGITS = st.text("0123456789", min_size=1, max_size=24)
PLAIN_NUMBERS = st.builds(
    lambda sign, whole, fraction, zeros: (
        f"{sign}{whole}{'.' if fraction or zeros else ''}{fraction}{'0' * zeros}"
    ),
    st.sampled_from(["", "-"]),
    DIGITS,
    st.text("0123456789", max_size=12),
    st.integers(0, 8),
)
EXPONENT_NUMBERS = st.builds(
    lambda sign, mantissa, letter, exponent: f"{sign}{mantissa}{letter}{exponent}",
    st.sampled_from(["", "-"]),
    st.sampled_from(["6.0", "1", "2.50", "9.99", "0.1"]),
    st.sampled_from(["E", "e"]),
    st.sampled_from(["-9", "-7", "-6", "-1", "+0", "3", "+20", "21", "25"]),
)
ODD_NUMBERS = st.sampled_from(
    ["0", "-0", "0.00000000", "00.5", ".5", "5.", "+1", "1.2.3", "1..", " 1", "1e", "", "١٢",
     "0.0000001", "0.000001", "-0.00000100", "999999999999999999999", "1000000000000000000000"]
)  # fmt: skip
NUMBERS = st.one_of(PLAIN_NUMBERS, EXPONENT_NUMBERS, ODD_NUMBERS)
CHANGES = st.one_of(
    *[PLAIN_NUMBERS] * 12,
    EXPONENT_NUMBERS,
    EXPONENT_NUMBERS,
    st.sampled_from(["0", "-0", "0.00000000", "00.5", "5.", "0.0000001", "-0.00000100"]),
    st.sampled_from(["1000000000000000000000", "999999999999999999999.5"]),
)


@given(NUMBERS)
@example("6.0E-7")
@example("-0.49603680")
def test_amount_forms_match_the_decimal_reference(text: str) -> None:
    assert _outcome(fixed_and_string, text, "Change") == _outcome(
        fixed_and_string_exact, text, "Change"
    )


@given(NUMBERS)
def test_to_string_shortcuts_match_the_decimal_reference(text: str) -> None:
    try:
        value = decimals.parse(text)
    except decimals.InvalidAmount:
        return
    fixed_text = decimals.to_fixed(value)
    assert string_of_fixed(fixed_text) == string_of_fixed_exact(fixed_text)
    assert big_string(value) == decimals.to_string(value)


@given(st.text(max_size=1100) | st.text(st.characters(max_codepoint=127), max_size=1100))
@example("x" * 1024)
@example("x" * 1025)
def test_fast_hash_matches_the_reference(text: str) -> None:
    assert fast_string_hash(text) == string_hash(text)


@given(st.text(max_size=40), st.text("-.0123456789e+ü", max_size=70))
@example("ex.binance:ETH_Buy_", "6e-7")
@example("", "")
def test_number_hash_matches_the_reference(prefix: str, number: str) -> None:
    assert fast_number_hash(prefix, number) == string_hash(prefix + number)


CLOCK_PARTS = st.sampled_from(["00", "09", "23", "24", "59", "60", "5", "٣٣", "ab"])


@given(
    st.sampled_from(["2024-02-29", "2023-02-29", "1999-12-31", "2024-13-01", "2024-1-01"]),
    st.sampled_from([" ", "T", "_"]),
    CLOCK_PARTS,
    CLOCK_PARTS,
    CLOCK_PARTS,
    st.sampled_from(["", "Z", ".5", "  "]),
)
def test_timestamps_match_the_exact_parser(
    date: str, separator: str, hours: str, minutes: str, seconds: str, tail: str
) -> None:
    text = f"{date}{separator}{hours}:{minutes}:{seconds}{tail}"
    assert _outcome(parse_utc_datetime, text, "UTC_Time") == _outcome(
        parse_utc_datetime_exact, text, "UTC_Time"
    )


@given(
    st.sampled_from(["2024-02-29", "2023-02-29", "1999-12-31", "2024-13-01", "2024-1-01"]),
    st.sampled_from([" ", "T", "_"]),
    CLOCK_PARTS,
    CLOCK_PARTS,
    CLOCK_PARTS,
    st.sampled_from(["", ".5"]),
)
def test_a_time_at_offset_zero_reads_as_the_exact_parser_reads_it(
    date: str, separator: str, hours: str, minutes: str, seconds: str, tail: str
) -> None:
    """The wall clock before an offset has a reader of its own, which checks no span."""
    text = f"{date}{separator}{hours}:{minutes}:{seconds}{tail}"
    with_offset = _outcome(parse_datetime_with_offset, f"{text}+00:00", "date")
    if with_offset is not None:  # None: the text ends in no time, so it carries no offset
        assert with_offset == _outcome(parse_utc_datetime_exact, text, "date")


FIELD_TEXT = st.text('ab ,;"\\\r', max_size=6)


@given(st.lists(FIELD_TEXT, max_size=8), st.sampled_from([",", ";", '","']), st.integers(1, 8))
@example(["1", "2"], '","', 2)
@example(["a\\,b", "c"], '","', 2)
def test_generic_splitter_fast_path_matches_the_field_pattern(
    fields: list[str], separator: str, expected: int
) -> None:
    row = separator.join(fields)
    if separator == '","':
        row = f'"{row}"'
    assert _outcome(split_generic, row, expected) == _outcome(split_generic_exact, row, expected)


@given(st.lists(st.text('ab ,;"\r\n', max_size=8), min_size=1, max_size=6))
@example(['say "hi"; then', "x"])
@example(['";"', '" , "'])
def test_an_exported_row_splits_into_the_texts_it_was_made_of(texts: list[str]) -> None:
    assert split_generic(encode_csv_row(texts), len(texts)) == texts


def _reference_rows(text: str) -> list[str]:
    """§1.1 character by character: ``"`` toggles quoting, ``\\n`` outside quotes ends a row."""
    text = text.strip(JS_WHITESPACE)
    rows: list[str] = []
    current: list[str] = []
    quoted = False
    for character in text:
        if character == "\n" and not quoted:
            row = "".join(current)
            rows.append(row[:-1] if row.endswith("\r") else row)
            current = []
            continue
        quoted ^= character == '"'
        current.append(character)
    if text:
        rows.append("".join(current))
    return rows


@given(st.text('ab"\r\n \t\ufeff', max_size=60), st.integers(1, 9))
@example('\ufeff a,"multi\r\nline",b\r\nc\rd\n\n"e"\r\n  \n', 3)
def test_row_splitting_matches_a_character_scan(text: str, chunk_size: int) -> None:
    chunks = [text[start : start + chunk_size] for start in range(0, len(text), chunk_size)]

    assert list(iter_rows(chunks)) == _reference_rows(text)


def test_record_builders_equal_the_constructors() -> None:
    log = new_audit_log("i", "a", "1", "f", 2, "Buy", "p", 3, "t", "w")
    assert log == AuditLog(
        id="i", assetId="a", change="1", fileImportId="f", importIndex=2, operation="Buy",
        platformId="p", timestamp=3, txId="t", wallet="w",
    )  # fmt: skip
    transaction = new_transaction(
        "i", "ia", "1", "fa", "0.1", "f", 2, "oa", "2", "p", "0.5", 3, "Swap", "w"
    )
    assert transaction == Transaction(
        id="i", incomingAsset="ia", incoming="1", feeAsset="fa", fee="0.1", fileImportId="f",
        importIndex=2, outgoingAsset="oa", outgoing="2", platformId="p", price="0.5",
        timestamp=3, type="Swap", wallet="w",
    )  # fmt: skip


ROW = st.fixed_dictionaries(
    {
        "account": st.sampled_from(["Spot", "Funding"]),
        "operation": st.sampled_from(OPERATIONS),
        "coin": st.sampled_from(["BTC", "ETH", "USDT", "ETF"]),
        "change": CHANGES,
        "invalid": st.sampled_from([False] * 30 + [True]),
        "remark": st.sampled_from(["", "", "x", "ETH ETF 分发", "Duplicate entry", "a, b; c"]),
        "quoted": st.sampled_from([True, True, True, False]),
    }
)
TIME_STEPS = st.sampled_from([0, 1, 1, 1, 2, 5, 5, -1, -3])  # mostly ascending, sometimes not
TIME_GROUPS = st.lists(
    st.tuples(TIME_STEPS, st.lists(ROW, min_size=1, max_size=4)), min_size=1, max_size=12
)


def _statement(groups: list[tuple[int, list[dict[str, Any]]]], line_break: str) -> str:
    lines = [HEADER]
    seconds = 1_000
    for step, rows in groups:
        seconds += step
        when = f"2024-01-01 00:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        for row in rows:
            change = "1.2.3" if row["invalid"] else row["change"]
            fields = ["1", when, row["account"], row["operation"], row["coin"], change]
            if row["quoted"]:
                fields.append(row["remark"])
                lines.append(",".join(f'"{field}"' for field in fields))
            else:  # an unquoted row needs a remark without separators (§1.1)
                fields.append(row["remark"].replace(",", "").replace(";", "") or "x")
                lines.append(",".join(fields))
    return line_break.join(lines)


def _run(text: str, chunk_size: int, parser: Parser | None) -> object:
    """Everything a consumer sees: batch contents, restarts and meta, or the error."""
    chunks = [text[start : start + chunk_size] for start in range(0, len(text), chunk_size)]
    parse = StreamingImport(
        lambda: chunks, file_import_id="7", context=ParserContext(), batch_size=3, parser=parser
    )
    seen: list[object] = []
    try:
        for item in parse:
            if isinstance(item, Restart):
                seen.append(item)
                continue
            assert isinstance(item, Batch)
            seen.append(
                ([log.to_wire() for log in item.logs], [tx.to_wire() for tx in item.transactions])
            )
    except ImportFormatError as error:
        return ("error", str(error), error.row, error.column)
    assert parse.meta is not None
    return seen, parse.meta.to_wire()


@settings(max_examples=300, deadline=None)
@given(TIME_GROUPS, st.sampled_from(["\n", "\r\n"]), st.integers(7, 400))
def test_binance_fast_path_gives_the_exact_path_records(
    groups: list[tuple[int, list[dict[str, Any]]]], line_break: str, chunk_size: int
) -> None:
    text = _statement(groups, line_break)

    assert _run(text, chunk_size, None) == _run(text, chunk_size, binance.EXACT_PARSER)


@settings(max_examples=200, deadline=None)
@given(TIME_GROUPS)
def test_binance_runs_give_the_records_of_one_global_grouping(
    groups: list[tuple[int, list[dict[str, Any]]]],
) -> None:
    """Finalising run by run equals the original's single pass over all logs (§2.1), but for
    a merged log whose id an earlier merge made, which gets its row index appended instead of
    replacing the earlier (``made_ids``); and the place of each swap among the transactions
    differs (it follows the rows of its run)."""
    text = _statement(groups, "\n")
    streamed = _run(text, 64, None)
    if isinstance(streamed, tuple) and streamed[0] == "error":
        return
    exact = binance.EXACT_PARSER
    logs: list[AuditLog] = []
    row_transactions: list[Transaction] = []
    for index, row in enumerate(text.split("\n")[1:]):
        result = exact.parse_row(row, index, "7", ParserContext())
        logs += result.logs
        row_transactions += result.transactions
    assert exact.finalise_group is not None
    merged, swaps = exact.finalise_group(logs, "7")
    own, made = {log.id for log in logs}, set()
    for log in merged:
        if log.id not in own:
            log.id = log.id if log.id not in made else f"{log.id}_{int(log.importIndex)}"
            made.add(log.id)

    assert isinstance(streamed, tuple)
    items, _ = streamed
    streamed_logs = [log for item in items if isinstance(item, tuple) for log in item[0]]
    streamed_txs = [tx for item in items if isinstance(item, tuple) for tx in item[1]]
    if any(isinstance(item, Restart) for item in items):
        restart = max(i for i, item in enumerate(items) if isinstance(item, Restart))
        streamed_logs = [log for item in items[restart + 1 :] for log in item[0]]
        streamed_txs = [tx for item in items[restart + 1 :] for tx in item[1]]
    assert streamed_logs == [log.to_wire() for log in merged]
    assert sorted(map(_key, streamed_txs)) == sorted(
        _key(tx.to_wire()) for tx in row_transactions + swaps
    )


def _key(wire: dict[str, Any]) -> str:
    return repr(sorted(wire.items()))


def _outcome(function: Any, *args: Any) -> object:
    try:
        return function(*args)
    except ImportFormatError as error:
        return ("error", str(error), error.column)


def test_exponent_change_keeps_the_big_js_form_in_the_id() -> None:
    value = Decimal("6.0E-7")
    assert (decimals.to_fixed(value), decimals.to_string(value)) == ("0.0000006", "6e-7")
    assert fixed_and_string("6.0E-7", "Change") == ("0.0000006", "6e-7")
