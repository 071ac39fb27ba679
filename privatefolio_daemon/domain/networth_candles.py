"""Open/high/low/close candles of the daily net worth, per 1, 3 days, week or calendar month.

Buckets are UTC: ``1d`` is the day; ``3d`` counts 3-day blocks from 1970-01-01; ``1w`` starts on
Monday; ``1m`` is the calendar month. A candle's ``time`` is its bucket start in seconds and its
``value`` is the close, so the frontend can draw it as a line too.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal, TypedDict

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start

CandleInterval = Literal["1d", "3d", "1w", "1m"]

_MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; 1970-01-05 a Monday


class NetworthCandle(TypedDict):
    time: int
    open: float
    high: float
    low: float
    close: float
    value: float


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


def networth_candles(
    daily: Iterable[tuple[int, float]], interval: CandleInterval
) -> list[NetworthCandle]:
    """Candles from ``(day ms, value)`` pairs in ascending order."""
    bucket_of = BUCKETS[interval]
    candles: list[NetworthCandle] = []
    current: int | None = None
    for day, value in daily:
        start = bucket_of(day)
        if start != current:
            current = start
            candles.append(
                NetworthCandle(
                    time=start // 1000, open=value, high=value, low=value, close=value, value=value
                )
            )
            continue
        candle = candles[-1]
        candle["high"] = max(candle["high"], value)
        candle["low"] = min(candle["low"], value)
        candle["close"] = candle["value"] = value
    return candles
