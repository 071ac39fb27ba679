"""A Yahoo bar's date is its date in the exchange's time zone (``meta.exchangeTimezoneName``), in
summer and in winter alike: ``meta.gmtoffset`` is only the offset at the time of the request."""

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from privatefolio_daemon.sources.prices.base import PricedAsset
from privatefolio_daemon.sources.prices.fiat import FiatProvider
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    YahooProvider,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import LONDON, YahooCandle, YahooChartStandin

CHF = PricedAsset("fiat:CHF", "CHF", "fiat", "fiat")
DAX = PricedAsset("stock:^GDAXI", "^GDAXI", "stock", "stock")
JUNE_1 = datetime(2024, 6, 1, tzinfo=UTC)
NEW_YORK = "America/New_York"


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


def local_midnight(zone: str, month: int, day: int) -> int:
    """00:00 of that day in ``zone``, in UTC seconds: 23:00 UTC the day before in London summer."""
    return int(datetime(2024, month, day, tzinfo=ZoneInfo(zone)).timestamp())


def chf_rate(month: int, day: int) -> float:
    """1 + 0.001 for each day since June 1."""
    days = (datetime(2024, month, day, tzinfo=UTC) - JUNE_1).days
    return round(1.0 + 0.001 * days, 6)


def weekdays(first: int, last: int) -> list[tuple[int, int]]:
    """``(month, day)`` of each weekday of July 2024 from ``first`` to ``last``."""
    return [(7, d) for d in range(first, last + 1) if datetime(2024, 7, d).weekday() < 5]


@pytest.fixture
def standin() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    # Asked in December: gmtoffset is 0 for London and 1 h for Berlin.
    standin.add_candles(
        "CHFUSD=X",
        [
            YahooCandle(local_midnight(LONDON, m, d), r, r, r, r, 0)
            for m, d in weekdays(1, 12)
            for r in [chf_rate(m, d)]
        ],
        gmtoffset=0,
        timezone=LONDON,
    )
    standin.add_candles(
        "^GDAXI",
        [
            YahooCandle(
                local_midnight("Europe/Berlin", m, d),
                18000 + d,
                18100 + d,
                17900 + d,
                18050 + d,
                10,
            )
            for m, d in weekdays(1, 5)
        ],
        gmtoffset=3600,
        currency="EUR",
        timezone="Europe/Berlin",
    )
    euro = [
        YahooCandle(local_midnight(LONDON, m, d), 1.5, 1.5, 1.5, 1.5, 0) for m, d in weekdays(1, 5)
    ]
    standin.add_candles("EURUSD=X", euro, gmtoffset=0, timezone=LONDON)
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def client(url: str) -> YahooChartClient:
    fetcher = JsonFetcher(
        YAHOO_NAME, policy=FetchPolicy(timeout_s=10.0), error_detail=yahoo_error_detail
    )
    return YahooChartClient(fetcher, base_url=url)


async def test_fx_rates_at_london_midnight_in_summer_keep_their_date(
    standin: tuple[YahooChartStandin, str],
) -> None:
    _, url = standin
    provider = FiatProvider(client(url))
    try:
        # From Wednesday July 3 to Monday July 8.
        series = await provider.fetch_daily(CHF, day_s(7, 3) * 1000, day_s(7, 8) * 1000)
    finally:
        await provider.close()

    assert [(p["time"], p["value"]) for p in series.points] == [
        (day_s(7, 3), 1.032),
        (day_s(7, 4), 1.033),
        (day_s(7, 5), 1.034),  # Friday
        (day_s(7, 6), 1.034),
        (day_s(7, 7), 1.034),
        (day_s(7, 8), 1.037),
    ]


async def test_an_index_at_berlin_midnight_in_summer_keeps_its_date(
    standin: tuple[YahooChartStandin, str],
) -> None:
    _, url = standin
    chart = client(url)
    provider = YahooProvider(chart, usd=UsdConverter(FiatProvider(chart)))
    try:
        series = await provider.fetch_daily(DAX, day_s(7, 1) * 1000, day_s(7, 5) * 1000)
    finally:
        await provider.close()

    assert [(p["time"], p["close"]) for p in series.points] == [
        (day_s(7, d), (18050 + d) * 1.5) for d in range(1, 6)
    ]


async def test_a_time_zone_unknown_here_falls_back_to_gmtoffset(
    standin: tuple[YahooChartStandin, str],
) -> None:
    yahoo, url = standin
    yahoo.add_candles(
        "XYZ",
        [YahooCandle(day_s(7, 2) + 22 * 3600, 5.0, 5.0, 5.0, 5.0, 1)],  # 00:00 at UTC+2
        gmtoffset=2 * 3600,
        timezone="Mars/Olympus_Mons",
    )
    chart = client(url)
    provider = YahooProvider(chart, usd=UsdConverter(FiatProvider(chart)))
    try:
        series = await provider.fetch_daily(
            PricedAsset("stock:XYZ", "XYZ", "stock"), day_s(7, 3) * 1000, day_s(7, 3) * 1000
        )
    finally:
        await provider.close()

    assert [(p["time"], p["value"]) for p in series.points] == [(day_s(7, 3), 5.0)]


async def test_a_bar_whose_time_has_no_date_is_left_out() -> None:
    """A timestamp beyond any calendar (``1e15`` s) is no day asked for, as without a zone."""

    async def chart(_: web.Request) -> web.Response:
        result = {
            "meta": {"currency": "USD", "gmtoffset": -14400, "exchangeTimezoneName": NEW_YORK},
            "timestamp": [day_s(7, 2) + 13 * 3600, 10**15],
            "indicators": {"quote": [{"close": [5.0, 6.0]}]},
        }
        return web.json_response({"chart": {"result": [result], "error": None}})

    app = web.Application()
    app.router.add_get("/v8/finance/chart/{symbol}", chart)
    with serve_in_thread(app) as url:
        chart = client(url)
        try:
            points = await chart.daily("XYZ", "stock:XYZ", day_s(7, 1) * 1000, day_s(7, 3) * 1000)
        finally:
            await chart.close()

    assert [(p["time"], p["close"]) for p in points] == [(day_s(7, 2), 5.0)]
