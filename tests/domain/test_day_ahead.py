"""Tomorrow is valued at today's prices where it has none; no later day is: only a stored row
can bring one, and years of days would each need the prices."""

from privatefolio_daemon.domain.day_ahead import maps_with_day_ahead, series_with_day_ahead
from privatefolio_daemon.domain.timeutil import DAY_MS

TODAY = 1_796_515_200_000  # 2026-12-06
TOMORROW = TODAY + DAY_MS
IN_A_YEAR = TODAY + 365 * DAY_MS


def test_tomorrow_takes_todays_prices_under_its_own() -> None:
    by_day = {TODAY: {"a": 1.0, "b": 2.0}, TOMORROW: {"b": 3.0}}

    assert maps_with_day_ahead(by_day, IN_A_YEAR, TODAY) == {
        TODAY: {"a": 1.0, "b": 2.0},
        TOMORROW: {"a": 1.0, "b": 3.0},
    }


def test_a_day_ahead_is_added_only_when_the_ledger_reaches_it() -> None:
    assert maps_with_day_ahead({TODAY: {"a": 1.0}}, TODAY, TODAY) == {TODAY: {"a": 1.0}}
    assert series_with_day_ahead({TODAY - DAY_MS: 1, TODAY: 2}, TODAY, TODAY) == {
        TODAY - DAY_MS: 1,
        TODAY: 2,
    }
    assert list(series_with_day_ahead({TODAY - DAY_MS: 1, TODAY: 2}, IN_A_YEAR, TODAY).items()) == [
        (TODAY - DAY_MS, 1),
        (TODAY, 2),
        (TOMORROW, 2),
    ]
    assert series_with_day_ahead({TODAY - DAY_MS: 1}, TOMORROW, TODAY) == {TODAY - DAY_MS: 1}
