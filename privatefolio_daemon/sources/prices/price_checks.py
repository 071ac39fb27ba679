"""What a price may be: a finite positive number within the amount bounds (decision 0010).

Providers send garbage now and then: TEFAS a ``FIYAT`` of ``"NaN"``, an exchange a candle that
closes at ``"NaN"``, Yahoo a close of ``1e308``. Stored, NaN became ``{"value": null}``, which
dropped the asset from that day's net worth and broke ``getBalancesAt``; ``1e308`` overflowed the
net worth and the trades at every refresh. So a provider skips such a price where it reads it:
the day is then a gap, which a market that closes fills with the last close before it, as any
other, and the skip is reported (``SkipReport``: a "Fetch asset prices" progress line, else the
server log) naming the provider, the asset and the day.
"""

import logging
import math
from collections.abc import Callable
from decimal import Decimal
from typing import TypeGuard

from privatefolio_daemon.domain.decimals import MAX_DIGITS, in_range
from privatefolio_daemon.domain.timeutil import human_date
from privatefolio_daemon.sources.prices.base import PRICE_FIELDS, ChartData

SkipReport = Callable[[str], None]
"""Told of each price a provider skipped, as one line naming the provider, the asset and the day."""

_LOG = logging.getLogger(__name__)

# A float has at most 17 significant digits, so one from 1e-63 up to (not with) 1e80 has at most
# 80 digits after the point and 80 before it: in range without looking at its digits.
_SURELY_IN_RANGE = (1e-63, 10.0**MAX_DIGITS)


def log_skipped(line: str) -> None:
    _LOG.warning(line)


def price_problem(value: object) -> str | None:
    """Why ``value`` cannot be a price, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number"
    low, high = _SURELY_IN_RANGE
    if low <= value < high:
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number):
        return f"{_shown(number)} is not a finite number"
    if number <= 0:
        return f"{_shown(number)} is not positive"
    if not in_range(Decimal(repr(number))):
        side = "before" if number >= 1 else "after"
        return f"{_shown(number)} has more than {MAX_DIGITS} digits {side} the point"
    return None


def is_price(value: object) -> TypeGuard[int | float]:
    return price_problem(value) is None


def point_problem(point: ChartData) -> str | None:
    """Why a daily candle cannot be stored (one of its prices is none, or its volume is no
    count), or None when it can."""
    for name in PRICE_FIELDS:
        if name in point and (problem := price_problem(point[name])) is not None:
            return problem if name == "value" else f"its {name} {problem}"
    volume = point.get("volume", 0)
    if (
        isinstance(volume, bool)
        or not isinstance(volume, int | float)
        or not 0 <= volume < math.inf
    ):
        return f"its volume {volume!r} is not a count"
    return None


class PriceCheck:
    """The prices one provider reads, checked: a bad one is reported under its name, and skipped."""

    def __init__(self, provider_name: str, report: SkipReport = log_skipped) -> None:
        self.provider_name = provider_name
        self.report = report

    def price(self, asset_id: str, day_ms: int, value: object) -> float | None:
        """``value`` as a float, or None (and a report) when it is no price."""
        if is_price(value):
            return float(value)
        self.report(skipped_line(self.provider_name, asset_id, day_ms, str(price_problem(value))))
        return None


def skipped_line(provider_name: str, asset_id: str, day_ms: int, problem: str) -> str:
    """``TEFAS: skipped the price of Jul 01, 2026: NaN is not a finite number (asset …)``."""
    return (
        f"{provider_name}: skipped the price of {human_date(day_ms)}: {problem} (asset {asset_id})"
    )


def _shown(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)
