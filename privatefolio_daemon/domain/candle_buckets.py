"""The UTC buckets that daily values are grouped into for candles: 1 day, 3 days, a week, a month.

``1d`` is the day; ``3d`` counts 3-day blocks from 1970-01-01; ``1w`` starts on Monday; ``1m`` is
the calendar month. Each maps a day start (ms) to its bucket's start (ms).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start

CandleInterval = Literal["1d", "3d", "1w", "1m"]

#: Days a bucket spans at most, to size a window of a given number of candles.
BUCKET_DAYS: dict[str, int] = {"1d": 1, "3d": 3, "1w": 7, "1m": 31}

_MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; 1970-01-05 a Monday


def _every(span_ms: int, offset_ms: int = 0) -> Callable[[int], int]:
    def bucket(day: int) -> int:
        return day - (day - offset_ms) % span_ms

    return bucket


def _month(day: int) -> int:
    moment = datetime.fromtimestamp(day / 1000, tz=UTC)
    return int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()) * 1000


BUCKETS: dict[str, Callable[[int], int]] = {
    "1d": day_start,
    "3d": _every(3 * DAY_MS),
    "1w": _every(7 * DAY_MS, _MONDAY_OFFSET_MS),
    "1m": _month,
}
