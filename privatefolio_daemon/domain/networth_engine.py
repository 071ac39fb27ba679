"""Daily net worth (data-model §6) from the balance rows and the prices of each day.

Arithmetic choice: the original computes ``Math.round(price.value * Number(balance) * 100) / 100``
with JS numbers, and those values are what its users see and what its ``networth`` table holds.
An exact Decimal product rounded afterwards disagrees with it whenever the binary product lands
just below a half cent: ``1.005 × 1`` is 1.00 in the original (``1.005 * 100`` is
``100.49999999999999``) but 1.01 exactly. Since a Python float is the same IEEE-754 double as a
JS number and ``* + - /`` round identically, this module repeats the original's operations on
floats, in the original's order, and rounds with ``Math.round`` semantics (:mod:`jsmath`). The
results are therefore the original's, bit for bit. Balances stay exact decimal strings; only
this derived, two-decimal USD figure is a float, as it is in the original's FLOAT columns.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import TypedDict

from privatefolio_daemon.domain.jsmath import js_round, round2
from privatefolio_daemon.domain.timeutil import human_date

BalanceRow = tuple[int, Mapping[str, str]]
"""``(day start ms, {assetId: decimal string})``, as the balances table holds it."""

PriceMap = Mapping[str, float]
"""``{assetId: price.value}`` of one day, in the order the daily_prices rows were read."""

Progress = Callable[[float | None, str | None], None]

PROGRESS_EVERY = 250
#: Computing runs from 10% up to this, below the caller's 95% of saving the rows.
COMPUTING_SPAN = 85
STABLECOIN_KEY = "USDT"
"""The original seeds every day's price map with ``USDT: 1``; no real asset id matches it."""


class NetworthRow(TypedDict):
    timestamp: int
    time: int
    value: float
    change: float
    changePercentage: float


def compute_networth(
    balance_rows: Sequence[BalanceRow],
    prices_by_day: Mapping[int, PriceMap],
    progress: Progress | None = None,
    previous_value: float | None = None,
) -> list[NetworthRow]:
    """One networth row per balance row (ascending).

    The first row's change is against ``previous_value``, the stored value of the day before the
    run; with none (a run from the first day), it is 0. The original gives the first row of every
    run change 0, so each incremental refresh zeroed the change of the day it started on.

    Progress repeats the original's computing lines, except that their percentages run from 10
    to below 95 (``10 + i·85/N``), where the original's ``10 + i·90/N`` went past 95 before the
    caller's ``[95, "Saving …"]`` and the log went backwards. Saving and the cursor are the
    caller's.
    """
    report = progress or _ignore
    count = len(balance_rows)
    if count == 0:
        report(100, "No balances to compute networth")
        return []
    report(5, f"Computing networth for {count} days")
    rows: list[NetworthRow] = []
    previous = previous_value
    for index, (timestamp, balances) in enumerate(balance_rows):
        value = day_value(balances, prices_by_day.get(timestamp, {}))
        change = 0.0
        change_percentage = 0.0
        if previous is not None:
            change = round2(value - previous)
            if change != 0 and previous != 0:
                change_percentage = js_round(change / previous * 100 * 100) / 100
        rows.append(
            NetworthRow(
                timestamp=timestamp,
                time=timestamp // 1000,
                value=value,
                change=change,
                changePercentage=change_percentage,
            )
        )
        previous = value
        if index % PROGRESS_EVERY == 0:
            percent = 10 + index * COMPUTING_SPAN / count
            report(_js_percent(percent), f"Computing networth starting {human_date(timestamp)}")
    return rows


def day_value(balances: Mapping[str, str], prices: PriceMap) -> float:
    """``round2(Σ round2(price × Number(balance)))`` over the day's price map, in its order."""
    total = 0.0
    for asset_id, price in _with_stablecoin(prices).items():
        balance = balances.get(asset_id)
        if not balance:
            continue
        total += round2(float(price) * float(balance))
    return round2(total)


def _with_stablecoin(prices: PriceMap) -> Mapping[str, float]:
    """The original's map starts with ``USDT: 1``; a real USDT row replaces the value in place."""
    merged: dict[str, float] = {STABLECOIN_KEY: 1.0}
    merged.update(prices)
    return merged


def _js_percent(percent: float) -> float:
    return int(percent) if percent.is_integer() else percent


def _ignore(percent: float | None, message: str | None) -> None:
    pass
