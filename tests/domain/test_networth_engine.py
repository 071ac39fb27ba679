"""Expected values were checked against Node.js, which runs the original's arithmetic."""

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privatefolio_daemon.domain.jsmath import js_number_text, js_round, round2
from privatefolio_daemon.domain.networth_engine import (
    BalanceRow,
    NetworthRow,
    compute_networth,
    day_value,
)

DAY_MS = 86_400_000
SEP_14_2017 = 1505347200000


def row(timestamp: int, value: float, change: float = 0, percentage: float = 0) -> NetworthRow:
    return NetworthRow(
        timestamp=timestamp,
        time=timestamp // 1000,
        value=value,
        change=change,
        changePercentage=percentage,
    )


def test_coinmama_balance_at_the_coinbase_close() -> None:
    rows = compute_networth(
        [(SEP_14_2017, {"coinmama:BTC": "0.072958518"})],
        {SEP_14_2017: {"coinmama:BTC": 3250.4}},
    )

    assert rows == [row(SEP_14_2017, 237.14)]
    assert rows[0]["time"] == 1505347200


@pytest.mark.parametrize(
    ("price", "balance", "value"),
    [
        (0.125, "1", 0.13),  # a true tie rounds up, where Python's round() gives 0.12
        (0.125, "-1", -0.12),  # ties go towards +∞, not away from zero
        (1.005, "1", 1.0),  # 1.005 * 100 is 100.49999999999999 in doubles: the original shows 1
        (0.145, "1", 0.14),
        (2.675, "1", 2.68),
        (3, "1e-7", 0),
        (2, "1.50", 3),
    ],
)
def test_each_product_is_rounded_like_math_round(price: float, balance: str, value: float) -> None:
    assert day_value({"X": balance}, {"X": price}) == value


def test_each_asset_is_rounded_before_the_sum() -> None:
    assert day_value({"A": "1", "B": "1"}, {"A": 0.125, "B": 0.125}) == 0.26


def test_assets_without_a_price_or_a_balance_do_not_count() -> None:
    assert day_value({"A": "2", "B": ""}, {"B": 10.0, "C": 5.0}) == 0


def test_the_usdt_key_is_worth_one_dollar() -> None:
    assert day_value({"USDT": "5.5"}, {}) == 5.5


def test_change_and_percentage_follow_the_previous_row_of_the_run() -> None:
    days = [SEP_14_2017 + index * DAY_MS for index in range(4)]
    balances = [(day, {"X": "1"}) for day in days]
    prices = {
        days[0]: {"X": 200.0},
        days[1]: {"X": 150.0},
        days[2]: {"X": 8.0},
        days[3]: {"X": 8.01},
    }

    rows = compute_networth(balances, prices)

    assert rows == [
        row(days[0], 200),
        row(days[1], 150, -50, -25),
        row(days[2], 8, -142, -94.67),
        row(days[3], 8.01, 0.01, 0.13),  # 0.01 / 8 * 100 * 100 is the tie 12.5
    ]


def test_a_zero_previous_value_gives_a_zero_percentage() -> None:
    days = [SEP_14_2017, SEP_14_2017 + DAY_MS, SEP_14_2017 + 2 * DAY_MS]
    balances = [(days[0], {}), (days[1], {"X": "2"}), (days[2], {})]

    rows = compute_networth(balances, {days[1]: {"X": 50.0}})

    assert rows == [row(days[0], 0), row(days[1], 100, 100, 0), row(days[2], 0, -100, -100)]


def test_the_first_row_of_an_incremental_run_has_no_change() -> None:
    rows = compute_networth([(SEP_14_2017, {"X": "3"})], {SEP_14_2017: {"X": 2.0}})

    assert rows == [row(SEP_14_2017, 6)]


def test_progress_lines() -> None:
    lines: list[list[Any]] = []
    balances: list[BalanceRow] = [(SEP_14_2017 + index * DAY_MS, {}) for index in range(251)]

    compute_networth(balances, {}, lambda percent, message: lines.append([percent, message]))

    assert lines == [
        [5, "Computing networth for 251 days"],
        [10, "Computing networth starting Sep 14, 2017"],
        [94.66135458167331, "Computing networth starting May 22, 2018"],
    ]
    assert isinstance(lines[1][0], int)


def test_no_balances() -> None:
    lines: list[list[Any]] = []

    assert compute_networth([], {}, lambda percent, message: lines.append([percent, message])) == []
    assert lines == [[100, "No balances to compute networth"]]


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (2.5, 3),
        (-2.5, -2),
        (0.49999999999999994, 0),
        (-0.5, 0),
        (1.4999999999999998, 1),
        (-7.5, -7),
    ],
)
def test_js_round(value: float, rounded: float) -> None:
    assert js_round(value) == rounded


def test_js_round_never_returns_negative_zero() -> None:
    assert math.copysign(1, js_round(-0.4)) == 1
    assert math.copysign(1, round2(-0.001)) == 1


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (-2.5, "-2.5"),
        (123.0, "123"),
        (-1.5e300, "-1.5e+300"),
        (5e-324, "5e-324"),
        (-0.0, "0"),
        (math.inf, "Infinity"),
    ],
)
def test_js_number_text(value: float, text: str) -> None:
    assert js_number_text(value) == text


@given(
    days=st.lists(
        st.tuples(
            st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False),
            st.floats(min_value=0, max_value=5000, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=20,
    ),
    split=st.integers(min_value=0, max_value=19),
)
def test_a_run_from_any_day_given_the_day_before_equals_the_full_run(
    days: list[tuple[Decimal, float]], split: int
) -> None:
    balances: list[BalanceRow] = [
        (SEP_14_2017 + i * DAY_MS, {"X": str(amount)}) for i, (amount, _) in enumerate(days)
    ]
    prices = {SEP_14_2017 + i * DAY_MS: {"X": price} for i, (_, price) in enumerate(days)}
    split = min(split, len(days) - 1)
    full = compute_networth(balances, prices)

    previous = full[split - 1]["value"] if split > 0 else None
    assert compute_networth(balances[split:], prices, previous_value=previous) == full[split:]
