"""Daily prices of markets that close (stocks, funds, metals, FX): every day of a fetch has one.

A market has no close on weekends and holidays, nor today before it opens. Net worth counts an
asset without a price on a day as worth 0, so a held stock would drop out of today's net worth
every weekend and every morning. A provider of such a market therefore fetches the last close
before the first day wanted when that day has none (``with_last_close``), and gives each day
without a close the last close before it, up to the last day asked for but never past today
(``closes_from``).

A carried day that later gets its own close is written over by the next fetch, which revalues it
like any changed price: the next fetch starts on the first of the carried days at the end of what
is stored (``first_carried_day``), so every close published late since the last one stored is
written. Only the last ``LATE_CLOSE_DAYS`` stored days are looked at, so a delisted stock or a
closed fund, carried for ever, is not asked for a longer span at each fetch.
"""

from collections.abc import Awaitable, Callable
from contextlib import suppress

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    PriceFetchError,
    fill_closed_days,
    is_carried,
)

#: How far before the first day wanted a provider looks for the last close: longer than any
#: run of days a market stays closed for holidays.
LOOKBACK_DAYS = 10
#: How many of the last stored days a fetch looks at for carried days to ask for again.
LATE_CLOSE_DAYS = 30

Fetch = Callable[[int, int], Awaitable[list[ChartData]]]
"""The points of a market within ``[since_ms, until_ms]``, oldest first."""


async def with_last_close(fetch: Fetch, since_ms: int, until_ms: int) -> list[ChartData]:
    """``fetch(since_ms, until_ms)``, led by the last close before ``since_ms`` (within
    ``LOOKBACK_DAYS``) when the first day wanted has no close of its own."""
    points = await fetch(since_ms, until_ms)
    if points and points[0]["time"] * 1000 <= _first_day(since_ms):
        return points
    with suppress(PriceFetchError):  # the days wanted are priced as well as they can be
        earlier = await fetch(since_ms - LOOKBACK_DAYS * DAY_MS, since_ms - 1)
        points = earlier[-1:] + points
    return points


def closes_from(points: list[ChartData], since_ms: int, until_ms: int) -> list[ChartData]:
    """The days of ``points`` up to ``until_ms`` (and up to today), from ``since_ms`` or from the
    last close before it that ``with_last_close`` put first: each day without a close carries
    the last close before it."""
    through = day_start(min(until_ms, now_ms())) // 1000
    start = min(since_ms, points[0]["time"] * 1000) if points else since_ms
    return [
        point
        for point in fill_closed_days(points, through)
        if start <= point["time"] * 1000 <= until_ms
    ]


def first_carried_day(latest: list[ChartData]) -> int | None:
    """The first day (ms) of the carried days that end ``latest`` (the last stored prices of an
    asset, oldest first), or None when its last day is no carried one."""
    first = len(latest) - 1
    while first > 0 and is_carried(latest[first], latest[first - 1]):
        first -= 1
    return None if first == len(latest) - 1 else latest[first + 1]["time"] * 1000


def _first_day(since_ms: int) -> int:
    """The start of the first whole day from ``since_ms``."""
    start = day_start(since_ms)
    return start if start == since_ms else start + DAY_MS
