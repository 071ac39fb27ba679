import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.balance_engine import (
    BalancePassResult,
    BalanceStart,
    DayRow,
    LogBalance,
    LogRecord,
    WalletDay,
    compute_daily_balances,
)
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.shared_fixtures import require_shared_fixtures

SEP_01_2017 = 1504224000000
SEP_06_2017 = 1504656000000
SEP_07_2017 = 1504742400000
SEP_14_2017 = 1505347200000


class CollectingSink:
    """Keeps what a database writer would write, and the batch sizes it received."""

    def __init__(self) -> None:
        self.log_balances: dict[str, tuple[str, str]] = {}
        self.rows: dict[int, dict[str, str]] = {}
        self.wallet_days: dict[tuple[int, str], dict[str, str]] = {}
        self.row_writes = 0
        self.batch_sizes: list[int] = []

    def write_log_balances(self, updates: list[LogBalance]) -> None:
        self.batch_sizes.append(len(updates))
        for balance, balance_wallet, log_id in updates:
            self.log_balances[log_id] = (balance, balance_wallet)

    def write_day_rows(self, rows: list[DayRow]) -> None:
        self.row_writes += len(rows)
        for day, data in rows:
            self.rows[day] = dict(data)

    def write_wallet_days(self, rows: list[WalletDay]) -> None:
        for day, wallet, data in rows:
            self.wallet_days[(day, wallet)] = json.loads(data)


def run(
    logs: list[LogRecord], start: BalanceStart | None = None, until: int = 0, page_size: int = 1000
) -> tuple[CollectingSink, BalancePassResult, list[list[Any]]]:
    sink = CollectingSink()
    lines: list[list[Any]] = []
    result = compute_daily_balances(
        logs,
        sink,
        log_count=len(logs),
        start=start,
        until=until,
        progress=lambda percent, message: lines.append([percent, message]),
        page_size=page_size,
    )
    return sink, result, lines


def as_api_rows(rows: dict[int, dict[str, str]]) -> list[dict[str, Any]]:
    return [{**rows[day], "timestamp": day} for day in sorted(rows)]


def log(log_id: str, asset: str, change: str, timestamp: int, wallet: str = "W") -> LogRecord:
    return (log_id, asset, change, timestamp, wallet)


# --- Privatefolio fixtures ---------------------------------------------------------------------


def expected_dir() -> Path:
    return require_shared_fixtures() / "expected"


def ascending_records(rows_desc: list[dict[str, Any]]) -> list[LogRecord]:
    """The fixture lists logs in canonical descending order; reversed, they are ascending."""
    rows = list(reversed(rows_desc))
    return [
        (str(index), row["assetId"], row["change"], row["timestamp"], row["wallet"])
        for index, row in enumerate(rows)
    ]


@pytest.mark.parametrize("scenario", ["binance-import", "0xf98"])
def test_file_import_scenarios_match_expected_balances(scenario: str) -> None:
    folder = expected_dir() / scenario
    logs_desc = json.loads((folder / "audit-logs.json").read_text())["rows"]
    expected_rows = json.loads((folder / "balances.json").read_text())["rows"]
    progress = json.loads((folder / "scenario.json").read_text())["progress"]["computeBalances"]

    sink, result, lines = run(ascending_records(logs_desc), until=0)

    assert as_api_rows(sink.rows) == expected_rows
    expected_logs = {
        str(index): (row["balance"], row["balanceWallet"])
        for index, row in enumerate(reversed(logs_desc))
    }
    assert sink.log_balances == expected_logs
    assert lines == progress
    assert result.cursor == expected_rows[-1]["timestamp"]
    assert sink.row_writes == len(expected_rows)


def coinmama() -> tuple[dict[str, Any], list[LogRecord], list[dict[str, Any]]]:
    folder = expected_dir() / "coinmama-balances"
    scenario = json.loads((folder / "scenario.json").read_text())
    logs_desc = scenario["auditLogsBeforeBalances"]
    return (
        scenario,
        ascending_records(logs_desc),
        json.loads((folder / "balances.json").read_text())["rows"],
    )


def test_coinmama_full_run_fills_to_until_and_adds_the_genesis_row() -> None:
    scenario, logs, expected_rows = coinmama()

    sink, result, lines = run(logs, until=SEP_14_2017)

    assert as_api_rows(sink.rows) == expected_rows
    assert lines == scenario["step1_fullCompute"]["progress"]
    assert result.cursor == scenario["step1_fullCompute"]["balancesCursorAfter"]
    after = {
        row["timestamp"]: (row["balance"], row["balanceWallet"])
        for row in scenario["auditLogsAfterBalances"]
    }
    assert {log[3]: sink.log_balances[log[0]] for log in logs} == after


def test_coinmama_incremental_run_from_sep_7() -> None:
    scenario, logs, expected_rows = coinmama()
    full, _, _ = run(logs, until=SEP_14_2017)
    start = BalanceStart(
        since=SEP_07_2017,
        totals=full.rows[SEP_06_2017],
        wallet_totals={"Coinmama Spot": {"coinmama:BTC": "0.035979259"}},
    )
    new_logs = [record for record in logs if record[3] >= SEP_07_2017]

    sink, result, lines = run(new_logs, start=start, until=SEP_14_2017)

    assert lines == scenario["step2_incrementalCompute"]["progress"]
    assert result == BalancePassResult(cursor=SEP_14_2017, rows_written=8, logs_processed=1)
    merged = {day: data for day, data in full.rows.items() if day < SEP_07_2017} | sink.rows
    assert as_api_rows(merged) == expected_rows
    assert sink.log_balances == {new_logs[0][0]: ("0.072958518", "0.072958518")}


# --- Rules, one at a time ----------------------------------------------------------------------


def test_first_insert_keeps_the_raw_change_and_later_sums_are_normalised() -> None:
    day = SEP_01_2017
    sink, _, _ = run(
        [
            log("a", "X", "1.50", day + 1),
            log("b", "X", "1e-7", day + 2),
            log("c", "Y", "2E+2", day + 3),
        ]
    )

    assert sink.log_balances == {
        "a": ("1.50", "1.50"),
        "b": ("1.5000001", "1.5000001"),
        "c": ("2E+2", "2E+2"),
    }
    assert sink.rows[day] == {"X": "1.5000001", "Y": "2E+2"}


def test_same_second_fee_goes_negative_then_the_total_reaches_zero_and_leaves_the_row() -> None:
    day = SEP_01_2017
    logs = [
        log("fee", "MANA", "-0.1", day + 5),
        log("buy", "MANA", "100", day + 5),
        log("other", "ETH", "1", day + 6),
        log("sell", "MANA", "-99.9", day + 7),
    ]
    sink, _, _ = run(logs)

    assert sink.log_balances["fee"] == ("-0.1", "-0.1")
    assert sink.log_balances["buy"] == ("99.9", "99.9")
    assert sink.log_balances["sell"] == ("0", "0")
    assert sink.rows == {day - DAY_MS: {}, day: {"ETH": "1"}}


def test_wallet_totals_are_separate_and_the_global_total_spans_wallets() -> None:
    day = SEP_01_2017
    logs = [
        log("a", "BTC", "1.0", day, "A"),
        log("b", "BTC", "2", day + 1, "B"),
        log("c", "BTC", "-1", day + 2, "A"),
    ]
    sink, _, _ = run(logs)

    assert sink.log_balances == {"a": ("1.0", "1.0"), "b": ("3", "2"), "c": ("2", "0")}


def test_gap_days_copy_the_totals_before_the_gap() -> None:
    day = SEP_01_2017
    sink, result, lines = run([log("a", "X", "1", day + 10), log("b", "X", "2", day + 3 * DAY_MS)])

    assert as_api_rows(sink.rows) == [
        {"timestamp": day - DAY_MS},
        {"X": "1", "timestamp": day},
        {"X": "1", "timestamp": day + DAY_MS},
        {"X": "1", "timestamp": day + 2 * DAY_MS},
        {"X": "3", "timestamp": day + 3 * DAY_MS},
    ]
    assert result.cursor == day + 3 * DAY_MS
    assert lines[2] == [90, "Processed 4 daily balances"]


def test_fill_forward_reaches_the_day_that_holds_until() -> None:
    day = SEP_01_2017
    sink, result, _ = run([log("a", "X", "1", day + 10)], until=day + 2 * DAY_MS + 43_200_000)

    assert sorted(sink.rows) == [day - DAY_MS, day, day + DAY_MS, day + 2 * DAY_MS]
    assert result.cursor == day + 2 * DAY_MS


def test_no_genesis_row_before_1970_01_01() -> None:
    sink, result, lines = run([log("a", "X", "1", 5)])

    assert sink.rows == {0: {"X": "1"}}
    assert lines[-1] == [100, "Saved 1 records to disk"]
    assert result.cursor == 0


def test_full_run_without_logs_asks_to_delete_everything() -> None:
    sink, result, lines = run([])

    assert result == BalancePassResult(cursor=None, rows_written=0, logs_processed=0)
    assert sink.rows == {} and sink.batch_sizes == []
    assert lines == [[0, "Computing balances for 0 audit logs"]]


def test_incremental_run_without_new_logs_fills_from_since() -> None:
    start = BalanceStart(since=SEP_07_2017, totals={"X": "2"}, wallet_totals={"W": {"X": "2"}})

    sink, result, lines = run([], start=start, until=SEP_07_2017 + DAY_MS)

    assert sink.rows == {SEP_07_2017: {"X": "2"}, SEP_07_2017 + DAY_MS: {"X": "2"}}
    assert result.cursor == SEP_07_2017 + DAY_MS
    assert lines[:2] == [
        [0, "Refreshing balances starting Sep 07, 2017"],
        [0, "Computing balances for 0 audit logs"],
    ]


def test_incremental_run_without_new_logs_nor_until_keeps_since_as_cursor() -> None:
    start = BalanceStart(since=SEP_07_2017, totals={"X": "2"}, wallet_totals={})

    sink, result, lines = run([], start=start, until=0)

    assert sink.rows == {}
    assert result == BalancePassResult(cursor=SEP_07_2017, rows_written=0, logs_processed=0)
    assert lines[-2:] == [
        [99, "Setting balances cursor to Sep 07, 2017"],
        [100, "Saved 0 records to disk"],
    ]


def test_pages_batch_the_writes_report_progress_and_run_the_checkpoint() -> None:
    day = SEP_01_2017
    logs = [log(str(i), "X", "1", day + i * DAY_MS // 2) for i in range(5)]
    checkpoints: list[int] = []
    sink = CollectingSink()
    lines: list[list[Any]] = []

    compute_daily_balances(
        logs,
        sink,
        log_count=5,
        progress=lambda percent, message: lines.append([percent, message]),
        checkpoint=lambda: checkpoints.append(1),
        page_size=2,
    )

    assert sink.batch_sizes == [2, 2, 1]
    assert len(checkpoints) == 3
    assert lines == [
        [0, "Computing balances for 5 audit logs"],
        [0, "Processing logs 1 to 2"],
        [36, "Processed 0 daily balances"],
        [36, "Processing logs 3 to 4"],
        [72, "Processed 1 daily balances"],
        [72, "Processing logs 5 to 5"],
        [90, "Processed 2 daily balances"],
        [96, "Filling balances to reach today"],
        [99, "Setting balances cursor to Sep 03, 2017"],
        [100, "Saved 4 records to disk"],
    ]


def test_a_raising_checkpoint_stops_the_pass_after_the_written_pages() -> None:
    class Cancelled(Exception):
        pass

    calls = 0

    def checkpoint() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Cancelled

    sink = CollectingSink()
    logs = [log(str(i), "X", "1", SEP_01_2017 + i) for i in range(4)]
    with pytest.raises(Cancelled):
        compute_daily_balances(logs, sink, log_count=4, checkpoint=checkpoint, page_size=2)

    assert sorted(sink.log_balances) == ["0", "1"]


def test_logs_out_of_order_are_rejected() -> None:
    logs = [log("a", "X", "1", SEP_01_2017 + DAY_MS), log("b", "X", "1", SEP_01_2017)]

    with pytest.raises(ValueError, match="Audit logs must come in ascending timestamp order"):
        run(logs)


# --- Property: an incremental run from any day equals the full run ------------------------------

CHANGES = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False).map(str),
    st.sampled_from(["1e-7", "-1e-7", "2.50", "-2.5", "1E+2", "-1e2", "0", "0.10", "3"]),
)
MS_IN_DAY = st.one_of(st.sampled_from([0, 1, DAY_MS - 1]), st.integers(0, DAY_MS - 1))


@st.composite
def ledgers(draw: st.DrawFn) -> list[LogRecord]:
    entries = draw(
        st.lists(
            st.tuples(
                st.integers(0, 30),
                MS_IN_DAY,
                st.sampled_from("ABC"),
                st.sampled_from("uvw"),
                CHANGES,
            ),
            min_size=1,
            max_size=40,
        )
    )
    records = [
        (f"{index:03d}", asset, change, SEP_01_2017 + day * DAY_MS + ms, wallet)
        for index, (day, ms, asset, wallet, change) in enumerate(entries)
    ]
    return sorted(records, key=lambda record: (record[3], float(record[2]), record[0]))


def start_at(day: int, full: CollectingSink, logs: list[LogRecord]) -> BalanceStart:
    """The state of ``day − 1 day`` taken from the full run's output, as the caller loads it:
    for every wallet × every asset of the starting row or of a log before ``day``, the latest
    ``balanceWallet`` before ``day``, or ``"0"``. (The original only looks at the assets of the
    starting row, which misses a wallet holding an asset whose total across wallets is zero.)"""
    totals = full.rows.get(day - DAY_MS)
    latest: dict[tuple[str, str], str] = {}
    for log_id, asset_id, _, timestamp, wallet in logs:
        if timestamp < day:
            latest[(wallet, asset_id)] = full.log_balances[log_id][1]
    assets = set(totals or {}) | {asset_id for _, asset_id in latest}
    wallet_totals = {
        wallet: {asset_id: latest.get((wallet, asset_id), "0") for asset_id in assets}
        for wallet in {record[4] for record in logs}
    }
    return BalanceStart(since=day, totals=totals, wallet_totals=wallet_totals)


@settings(max_examples=300, deadline=None)
@given(
    logs=ledgers(),
    since_offset=st.integers(-3, 34),
    until_offset=st.one_of(st.none(), st.integers(0, 40 * DAY_MS)),
    page_size=st.sampled_from([1, 3, 1000]),
)
def test_incremental_run_from_any_day_equals_the_full_run(
    logs: list[LogRecord], since_offset: int, until_offset: int | None, page_size: int
) -> None:
    until = 0 if until_offset is None else SEP_01_2017 + until_offset
    full, full_result, _ = run(logs, until=until, page_size=page_size)
    since = SEP_01_2017 + since_offset * DAY_MS
    new_logs = [record for record in logs if record[3] >= since]

    part, result, _ = run(
        new_logs, start=start_at(since, full, logs), until=until, page_size=page_size
    )

    kept = {day: data for day, data in full.rows.items() if day < since}
    assert as_api_rows(kept | part.rows) == as_api_rows(full.rows)
    assert part.log_balances == {log_id: full.log_balances[log_id] for log_id, *_ in new_logs}
    assert result.logs_processed == len(new_logs)
    if new_logs:
        assert result.cursor == full_result.cursor


@given(logs=ledgers())
@settings(max_examples=300, deadline=None)
def test_every_log_balance_equals_the_running_sums(logs: list[LogRecord]) -> None:
    """Against plain running sums: per asset across wallets (``balance``) and per wallet and
    asset (``balanceWallet``), whichever wallets hold the asset and however often it hits 0."""
    sink, _, _ = run(logs)
    totals: dict[str, Decimal] = {}
    held: dict[tuple[str, str], Decimal] = {}
    for log_id, asset, change, _, wallet in logs:
        totals[asset] = totals.get(asset, Decimal(0)) + Decimal(change)
        held[wallet, asset] = held.get((wallet, asset), Decimal(0)) + Decimal(change)
        balance, balance_wallet = sink.log_balances[log_id]
        assert (Decimal(balance), Decimal(balance_wallet)) == (totals[asset], held[wallet, asset])


def test_a_change_the_pass_cannot_add_exactly_is_named() -> None:
    logs: list[LogRecord] = [
        ("1", "ex:BTC", "1e250", SEP_06_2017, "Spot"),
        ("2", "ex:BTC", "0.5", SEP_06_2017 + 1000, "Spot"),
    ]
    with pytest.raises(ValueError) as raised:
        compute_daily_balances(logs, CollectingSink(), log_count=2)
    assert str(raised.value) == (
        "The audit log of ex:BTC in Spot at 2017-09-06 00:00:00: Number out of range: '1e250' "
        "(at most 80 digits before and after the point)"
    )
