"""UsdConverter with the real fiat provider against the Yahoo stand-in."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from privatefolio_daemon.sources.prices.base import DAY_S, ChartData, PriceFetchError
from privatefolio_daemon.sources.prices.fiat import FiatProvider
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter, major_currency
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import LONDON, YahooCandle, YahooChartStandin

VOD = "stock:VOD.L"


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


def rate(month: int, day: int, close: float) -> YahooCandle:
    """One day of a ``<CUR>USD=X`` series, stamped at 00:00 London time as Yahoo does."""
    return YahooCandle(day_s(month, day), close, close, close, close, 0)


def in_pence(month: int, day: int, close: float) -> ChartData:
    return {
        "time": day_s(month, day),
        "value": close,
        "open": 70.1,
        "high": 71.0,
        "low": 69.02,
        "close": close,
        "volume": 1000.0,
    }


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    gbp = [rate(1, 2, 1.2715), rate(1, 3, 1.2621), rate(1, 5, 1.2719)]  # none on Jan 4
    standin.add_candles("GBPUSD=X", gbp, gmtoffset=0, timezone=LONDON)
    standin.add_candles("ZARUSD=X", [rate(1, 2, 0.0541)], gmtoffset=0, timezone=LONDON)
    standin.add_candles("ILSUSD=X", [rate(1, 2, 0.2762)], gmtoffset=0, timezone=LONDON)
    standin.add_candles("JPYUSD=X", [rate(1, 2, 0.00707)], gmtoffset=0, timezone=LONDON)
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def converter_at(url: str, *, keep_rates: bool = False) -> UsdConverter:
    fetcher = JsonFetcher(
        YAHOO_NAME,
        policy=FetchPolicy(timeout_s=2.0, max_retries=0),
        error_detail=yahoo_error_detail,
    )
    fiat = FiatProvider(YahooChartClient(fetcher, base_url=url))
    return UsdConverter(fiat, keep_rates=keep_rates)


async def convert(url: str, currency: str, points: list[ChartData]) -> list[ChartData]:
    converter = converter_at(url)
    try:
        return await converter.to_usd(YAHOO_NAME, VOD, currency, points)
    finally:
        await converter.fiat.close()


async def test_pence_are_pounds_over_100_at_each_days_rate_and_volume_stays(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    points = [in_pence(1, 2, 70.5), in_pence(1, 3, 69.84), in_pence(1, 5, 70.0)]

    converted = await convert(url, "GBp", points)

    assert converted == [
        {
            "time": day_s(1, 2),
            "value": 0.8964075,
            "open": 0.8913215,
            "high": 0.902765,
            "low": 0.8775893,
            "close": 0.8964075,
            "volume": 1000.0,
        },
        {
            "time": day_s(1, 3),
            "value": 0.88145064,  # the float product would be 0.8814506400000001
            "open": 0.8847321,
            "high": 0.896091,
            "low": 0.87110142,
            "close": 0.88145064,
            "volume": 1000.0,
        },
        {
            "time": day_s(1, 5),
            "value": 0.89033,
            "open": 0.8916019,
            "high": 0.903049,
            "low": 0.87786538,
            "close": 0.89033,
            "volume": 1000.0,
        },
    ]
    assert points[0]["value"] == 70.5  # the provider's points are left as they were
    assert [r.path for r in standin.requests] == ["/v8/finance/chart/GBPUSD=X"]
    assert standin.requests[0].query["period1"] == str(day_s(1, 1))  # a day before the first


async def test_a_day_without_a_rate_takes_the_nearest_earlier_days(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    _, url = yahoo
    points: list[ChartData] = [
        {"time": day_s(1, 4), "value": 70.12},
        {"time": day_s(1, 6), "value": 70.0},
        {"time": day_s(1, 8), "value": 71.0},
    ]

    converted = await convert(url, "GBX", points)

    assert converted == [
        {"time": day_s(1, 4), "value": 0.88498452},  # Jan 3's rate, 1.2621
        {"time": day_s(1, 6), "value": 0.89033},  # Jan 5's, 1.2719
        {"time": day_s(1, 8), "value": 0.903049},
    ]


@pytest.mark.parametrize(
    ("currency", "value"),
    [("ZAc", 0.541), ("ZAC", 0.541), ("ILA", 2.762), ("JPY", 7.07)],
)
async def test_other_minor_units_and_currencies(
    yahoo: tuple[YahooChartStandin, str], currency: str, value: float
) -> None:
    _, url = yahoo

    converted = await convert(url, currency, [{"time": day_s(1, 2), "value": 1000.0}])

    assert converted == [{"time": day_s(1, 2), "value": value}]


async def test_usd_is_returned_as_it_is_without_asking_for_a_rate() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    points: list[ChartData] = [{"time": day_s(1, 2), "value": 185.64}]

    assert await convert(f"http://127.0.0.1:{closed_port}", "USD", points) == points


async def test_no_rate_on_or_before_a_day_fails_naming_provider_asset_and_currency(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    _, url = yahoo
    points: list[ChartData] = [
        {"time": day_s(1, 1), "value": 70.0},
        {"time": day_s(1, 2), "value": 70.5},
    ]

    with pytest.raises(PriceFetchError) as caught:
        await convert(url, "GBp", points)

    assert str(caught.value) == (
        "Yahoo Finance: no USD rate for GBP on Jan 01, 2024 or before (asset stock:VOD.L)"
    )


async def test_no_rates_in_the_range_fail_naming_provider_asset_and_currency(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    _, url = yahoo

    with pytest.raises(PriceFetchError) as caught:
        await convert(url, "GBp", [{"time": day_s(3, 1), "value": 70.0}])

    assert str(caught.value) == (
        "Yahoo Finance: no USD rate for GBP from Feb 20, 2024 to Mar 01, 2024 (asset stock:VOD.L)"
    )


async def test_rates_that_cannot_be_fetched_fail_naming_provider_asset_and_currency(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    _, url = yahoo

    with pytest.raises(PriceFetchError) as caught:
        await convert(url, "CHF", [{"time": day_s(1, 2), "value": 70.0}])

    assert str(caught.value) == (
        "Yahoo Finance: no USD rate for CHF: HTTP 404: Not Found: No data found, symbol may be"
        " delisted (asset stock:VOD.L)"
    )


def test_major_currencies() -> None:
    assert major_currency("GBp") == ("GBP", Decimal(100))
    assert major_currency("GBX") == ("GBP", Decimal(100))
    assert major_currency("GBP") == ("GBP", Decimal(1))
    assert major_currency("ZAc") == ("ZAR", Decimal(100))
    assert major_currency("ILA") == ("ILS", Decimal(100))
    assert major_currency("jpy") == ("JPY", Decimal(1))


def asked_days(standin: YahooChartStandin) -> list[tuple[int, int]]:
    """The first and last day (s) of each request for rates (Yahoo is asked for a day more on
    each side, for the candles stamped at another day in UTC than in their exchange's zone)."""
    return [
        (int(r.query["period1"]) + DAY_S, int(r.query["period2"]) + 1 - 2 * DAY_S)
        for r in standin.requests
    ]


def values(points: list[ChartData]) -> list[float]:
    return [point["value"] for point in points]


async def test_kept_rates_are_asked_for_once_for_every_asset_in_the_currency(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    converter = converter_at(url, keep_rates=True)
    try:
        vodafone = await converter.to_usd(
            YAHOO_NAME, VOD, "GBp", [in_pence(1, 2, 70.5), in_pence(1, 5, 70.0)]
        )
        barclays = await converter.to_usd(
            YAHOO_NAME, "stock:BARC.L", "GBX", [in_pence(1, 3, 69.84), in_pence(1, 4, 150.0)]
        )
        in_pounds = await converter.to_usd(
            YAHOO_NAME, "stock:SHEL", "GBP", [{"time": day_s(1, 2), "value": 25.5}]
        )
    finally:
        await converter.fiat.close()

    assert values(vodafone) == [0.8964075, 0.89033]
    assert values(barclays) == [0.88145064, 1.89315]  # Jan 4 at Jan 3's rate, 1.2621
    assert values(in_pounds) == [32.42325]  # 25.5 pounds at 1.2715
    assert asked_days(standin) == [(day_s(1, 2), day_s(1, 5))]


async def test_kept_rates_ask_only_for_the_days_before_and_after_them(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    converter = converter_at(url, keep_rates=True)
    try:
        middle = await converter.to_usd(YAHOO_NAME, VOD, "GBp", [in_pence(1, 3, 69.84)])
        wider = await converter.to_usd(
            YAHOO_NAME,
            "stock:BARC.L",
            "GBp",
            [
                in_pence(1, 2, 70.5),
                in_pence(1, 3, 69.84),
                in_pence(1, 4, 70.0),
                in_pence(1, 5, 70.0),
            ],
        )
    finally:
        await converter.fiat.close()

    assert values(middle) == [0.88145064]
    assert values(wider) == [0.8964075, 0.88145064, 0.88347, 0.89033]
    assert asked_days(standin) == [
        (day_s(1, 3), day_s(1, 3)),
        (day_s(1, 2), day_s(1, 2)),  # the day before
        (day_s(1, 3), day_s(1, 5)),  # the days after, led by the last one asked for
    ]


async def test_rates_that_could_not_be_fetched_are_asked_for_again_by_the_next_asset(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.answer_next(1, 503, body=b"Service Unavailable")
    converter = converter_at(url, keep_rates=True)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await converter.to_usd(YAHOO_NAME, VOD, "GBp", [in_pence(1, 2, 70.5)])
        barclays = await converter.to_usd(YAHOO_NAME, "stock:BARC.L", "GBp", [in_pence(1, 2, 70.5)])
    finally:
        await converter.fiat.close()

    assert str(caught.value) == ("Yahoo Finance: no USD rate for GBP: HTTP 503 (asset stock:VOD.L)")
    assert values(barclays) == [0.8964075]
    assert len(standin.requests) == 2


async def test_rates_not_kept_are_asked_for_at_each_conversion(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    converter = converter_at(url)
    try:
        for _ in range(2):
            await converter.to_usd(YAHOO_NAME, VOD, "GBp", [in_pence(1, 2, 70.5)])
    finally:
        await converter.fiat.close()

    assert asked_days(standin) == [(day_s(1, 2), day_s(1, 2))] * 2
