"""Open/high/low/close candles of the daily net worth, per 1, 3 days, week or calendar month.

A candle's ``time`` is its bucket start (``candle_buckets``) in seconds and its ``value`` is the
close, so the frontend can draw it as a line too.
"""

from collections.abc import Iterable
from typing import TypedDict

from privatefolio_daemon.domain.candle_buckets import BUCKETS, CandleInterval


class NetworthCandle(TypedDict):
    time: int
    open: float
    high: float
    low: float
    close: float
    value: float


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
