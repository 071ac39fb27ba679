"""The daily USD rates of one currency that ``usd_conversion`` converts with, and the days they
were fetched for.

A "Fetch asset prices" run keeps them per currency: its assets quoted in EUR share one fetch of
``EURUSD=X``, and a later asset whose days reach beyond it fetches only the days before or after
(``missing``), joined to the rest. Building them from a fetched series and joining them take
milliseconds per decade of days, so they run on a worker thread.
"""

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.prices.base import ChartData


@dataclass(frozen=True, slots=True)
class UsdRates:
    """``rates[i]`` is the USD price of one unit on ``days[i]`` (s, oldest first); they were
    fetched for the days ``first`` to ``last`` (ms). Never changed once made: threads share it."""

    first: int
    last: int
    days: list[int]
    rates: list[Decimal]

    @classmethod
    def of(cls, points: list[ChartData], first: int, last: int) -> "UsdRates":
        """The rates of the fiat provider's ``points``, fetched for ``first`` to ``last``."""
        by_day = {point["time"]: exact(point["value"]) for point in points}
        days = sorted(by_day)
        return cls(first, last, days, [by_day[day] for day in days])

    def on(self, day: int) -> Decimal | None:
        """The rate of ``day`` (s), else of the nearest earlier day; None when there is none."""
        index = bisect_right(self.days, day)
        return self.rates[index - 1] if index else None

    def missing(self, since: int, until: int) -> list[tuple[int, int]]:
        """The spans of days (ms) to fetch so that the days from ``since`` to ``until`` are all
        fetched: the days before ``first``, and those after ``last`` led by ``last`` itself (its
        rate leads them: the fiat provider need not look further back for one). Each reaches the
        days fetched, so that no day in between is left out."""
        spans = []
        if since < self.first:
            spans.append((since, self.first - DAY_MS))
        if until > self.last:
            spans.append((self.last, until))
        return spans

    def joined(self, other: "UsdRates") -> "UsdRates":
        """These rates with those of ``other``, fetched for days next to them; a day in both keeps
        its rate here."""
        by_day = dict(zip(other.days, other.rates, strict=True))
        by_day.update(zip(self.days, self.rates, strict=True))
        days = sorted(by_day)
        first, last = min(self.first, other.first), max(self.last, other.last)
        return UsdRates(first, last, days, [by_day[day] for day in days])


def exact(value: float) -> Decimal:
    """The decimal a float was written as (``0.1`` → ``Decimal("0.1")``, not its binary value)."""
    return Decimal(repr(float(value)))
