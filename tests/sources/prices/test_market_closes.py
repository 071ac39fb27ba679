"""Every day of a closing market's fetch has a price: the last close before it, up to today."""

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.sources.prices.base import ChartData, PriceFetchError
from privatefolio_daemon.sources.prices.market_closes import (
    closes_from,
    first_carried_day,
    with_last_close,
)

TODAY = day_start(now_ms())


def day(offset: int) -> int:
    """The start of the day ``offset`` days from today, in ms."""
    return TODAY + offset * DAY_MS


class Market:
    """Closes on some days; records the ranges it is asked for."""

    def __init__(self, closes: dict[int, float], *, fails_before: int | None = None) -> None:
        self.closes = closes
        self.asked: list[tuple[int, int]] = []
        self.fails_before = fails_before

    async def fetch(self, since_ms: int, until_ms: int) -> list[ChartData]:
        self.asked.append((since_ms, until_ms))
        if self.fails_before is not None and until_ms < self.fails_before:
            raise PriceFetchError("Market", "stock:X", "HTTP 500")
        return [
            {"time": time // 1000, "value": value}
            for time, value in sorted(self.closes.items())
            if since_ms <= time <= until_ms
        ]


async def series(market: Market, since_ms: int, until_ms: int) -> list[tuple[int, float]]:
    points = await with_last_close(market.fetch, since_ms, until_ms)
    return [(p["time"] * 1000, p["value"]) for p in closes_from(points, since_ms, until_ms)]


async def test_a_first_day_with_a_close_is_one_fetch_and_today_carries_the_last_close() -> None:
    market = Market({day(-3): 10.0, day(-2): 11.0})
    assert await series(market, day(-3), day(1)) == [
        (day(-3), 10.0),
        (day(-2), 11.0),
        (day(-1), 11.0),
        (day(0), 11.0),  # today, never tomorrow
    ]
    assert market.asked == [(day(-3), day(1))]


async def test_a_first_day_without_a_close_starts_on_the_last_close_before_it() -> None:
    market = Market({day(-12): 8.0, day(-6): 9.0, day(-4): 10.0})
    assert await series(market, day(-2), day(0)) == [
        (day(-4), 10.0),
        (day(-3), 10.0),
        (day(-2), 10.0),
        (day(-1), 10.0),
        (day(0), 10.0),
    ]
    assert market.asked == [(day(-2), day(0)), (day(-12), day(-2) - 1)]


@pytest.mark.parametrize(
    ("closes", "fails_before"),
    [({day(-20): 8.0}, None), ({day(-4): 8.0}, day(-2))],
    ids=["no close in the ten days before", "the look back fails"],
)
async def test_without_an_earlier_close_the_days_before_the_first_close_stay_empty(
    closes: dict[int, float], fails_before: int | None
) -> None:
    market = Market({**closes, day(-1): 5.0}, fails_before=fails_before)
    assert await series(market, day(-2), day(0)) == [(day(-1), 5.0), (day(0), 5.0)]


async def test_a_range_in_the_past_is_carried_to_its_last_day() -> None:
    market = Market({day(-30): 3.0})
    assert await series(market, day(-30), day(-28)) == [
        (day(-30), 3.0),
        (day(-29), 3.0),
        (day(-28), 3.0),
    ]


async def test_the_first_carried_day_is_where_the_stored_days_carry_the_last_close() -> None:
    market = Market({day(-5): 9.0, day(-4): 9.0, day(-3): 10.0})  # a fund at 9.0 two days
    stored = closes_from(await market.fetch(day(-5), day(0)), day(-5), day(0))

    assert first_carried_day(stored) == day(-2)
    assert first_carried_day(stored[:2]) == day(-4)  # the flat close is asked for again too
    assert first_carried_day(stored[:1]) is None
    assert first_carried_day([]) is None


def test_a_candle_with_volume_is_no_carried_day() -> None:
    friday: ChartData = {"time": day(-3) // 1000, "value": 5.0, "close": 5.0, "volume": 10.0}
    flat: ChartData = {"time": day(-2) // 1000, "value": 5.0, "close": 5.0, "volume": 0.0}
    traded: ChartData = {"time": day(-2) // 1000, "value": 5.0, "close": 5.0, "volume": 3.0}
    assert first_carried_day([friday, flat]) == day(-2)
    assert first_carried_day([friday, traded]) is None
