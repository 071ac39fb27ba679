"""Tomorrow: the one day after today the ledger takes, and the prices it is valued at.

A transaction may be dated up to a day ahead (a CSV row up to tomorrow, UTC, which is the user's
today in Asia in the morning; ``addTransaction`` up to now + 1 day: decision 0010), so balances,
net worth and trades can have tomorrow. No price is stored past today, so tomorrow is valued at
today's prices where it has none of its own, as a day its market is closed carries the last
close. Once the day has come, the fetch stores its own prices, which revalue it as any new price
does (decision 0008). A later day, which only a stored row (``executeSql``) can bring, is not
valued: filling the years up to it with prices would cost days of rows.
"""

from collections.abc import Callable
from typing import TypeVar

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms

V = TypeVar("V")


def today() -> int:
    """The start of the current UTC day."""
    return day_start(now_ms())


def last_valued_day(last_day: int, current: int) -> int:
    """The last day to value of a span that ends on ``last_day``: today (``current``), or
    tomorrow when the span reaches it."""
    return current + DAY_MS if last_day > current else current


def maps_with_day_ahead(
    by_day: dict[int, dict[str, V]], last_day: int, current: int
) -> dict[int, dict[str, V]]:
    """``by_day`` (``{day: {assetId: price}}``) where tomorrow, when ``last_day`` reaches it, has
    today's prices (``current`` is today's start) under its own ones."""
    tomorrow = current + DAY_MS
    prices_today = by_day.get(current)
    if prices_today and last_day >= tomorrow:
        by_day[tomorrow] = {**prices_today, **by_day.get(tomorrow, {})}
    return by_day


def series_with_day_ahead(series: dict[int, V], last_day: int, current: int) -> dict[int, V]:
    """An asset's ``{day: price}`` (ascending) with today's price on tomorrow, when ``last_day``
    reaches it and tomorrow has none (``current`` is today's start), still ascending."""
    tomorrow = current + DAY_MS
    price_today = series.get(current)
    if price_today is None or last_day < tomorrow or tomorrow in series:
        return series
    return dict(sorted({**series, tomorrow: price_today}.items()))


def prices_valuing(day: int, read: Callable[[int], dict[str, V]]) -> dict[str, V]:
    """The prices ``day`` is valued at, ``read(day)`` reading those stored for a day: its own,
    over today's for tomorrow."""
    current = today()
    if day != current + DAY_MS:
        return read(day)
    return {**read(current), **read(day)}
