import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import EmptyResponse, PricedAsset, PriceFetchError
from privatefolio_daemon.sources.prices.fiat import FiatProvider, usd_days
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import YahooCandle, YahooChartStandin

USD = PricedAsset("fiat:USD", "USD", "fiat", "fiat")
EUR = PricedAsset("fiat:EUR", "EUR", "fiat", "fiat")


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    # Yahoo stamps FX days at 00:00 London time with gmtoffset 0.
    standin.add_candles(
        "EURUSD=X",
        [
            YahooCandle(day_s(1, 2), 1.1039, 1.1047, 1.0940, 1.1039, 0),
            YahooCandle(day_s(1, 3), 1.0941, 1.0955, 1.0893, 1.0941, 0),
            YahooCandle(day_s(1, 4), 1.0925, 1.0975, 1.0915, 1.0925, 0),
        ],
        gmtoffset=0,
        timezone="Europe/London",
    )
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def make_provider(
    url: str, *, window_days: int = 3650, timeout_s: float = 10.0, sleeps: list[float] | None = None
) -> FiatProvider:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    fetcher = JsonFetcher(
        YAHOO_NAME,
        policy=FetchPolicy(timeout_s=timeout_s),
        error_detail=yahoo_error_detail,
        sleep=record,
    )
    return FiatProvider(YahooChartClient(fetcher, base_url=url, window_days=window_days))


async def test_usd_is_one_on_every_day_without_asking_anyone() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    provider = make_provider(f"http://127.0.0.1:{closed_port}")
    try:
        series = await provider.fetch_daily(USD, day_s(1, 1) * 1000 + 1, day_s(1, 4) * 1000)
    finally:
        await provider.close()

    assert series.pair == "USD-USD"
    assert series.points == [
        {"time": day_s(1, 2), "value": 1.0},
        {"time": day_s(1, 3), "value": 1.0},
        {"time": day_s(1, 4), "value": 1.0},
    ]


def test_usd_days_include_both_ends_when_they_are_day_starts() -> None:
    assert usd_days(day_s(1, 30) * 1000, day_s(2, 1) * 1000) == [
        {"time": day_s(1, 30), "value": 1.0},
        {"time": day_s(1, 31), "value": 1.0},
        {"time": day_s(2, 1), "value": 1.0},
    ]
    assert usd_days(day_s(1, 2) * 1000, day_s(1, 1) * 1000) == []


async def test_euro_comes_from_the_eurusd_rate(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(EUR, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert series.pair == "EURUSD=X"
    assert series.points == [
        {
            "time": day_s(1, 2),
            "value": 1.1039,
            "open": 1.1039,
            "high": 1.1047,
            "low": 1.094,
            "close": 1.1039,
            "volume": 0.0,
        },
        {
            "time": day_s(1, 3),
            "value": 1.0941,
            "open": 1.0941,
            "high": 1.0955,
            "low": 1.0893,
            "close": 1.0941,
            "volume": 0.0,
        },
    ]
    assert [r.path for r in standin.requests] == ["/v8/finance/chart/EURUSD=X"]


async def test_a_weekend_without_fx_candles_carries_fridays_rate(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.add_candles(
        "GBPUSD=X",
        [
            YahooCandle(day_s(1, 5), 1.2661, 1.2772, 1.2611, 1.2715, 0),  # Friday
            YahooCandle(day_s(1, 8), 1.2718, 1.2760, 1.2695, 1.2745, 0),  # Monday
        ],
        gmtoffset=0,
        timezone="Europe/London",
    )
    gbp = PricedAsset("fiat:GBP", "GBP", "fiat", "fiat")
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(gbp, day_s(1, 4) * 1000, day_s(1, 10) * 1000)
    finally:
        await provider.close()

    assert [(p["time"], p["value"], p.get("volume")) for p in series.points] == [
        (day_s(1, 5), 1.2715, 0.0),
        (day_s(1, 6), 1.2715, 0.0),
        (day_s(1, 7), 1.2715, 0.0),
        (day_s(1, 8), 1.2745, 0.0),
        (day_s(1, 9), 1.2745, 0.0),  # Monday's rate, to the last day asked for (in the past)
        (day_s(1, 10), 1.2745, 0.0),
    ]
    assert series.points[1] == {
        "time": day_s(1, 6),
        "value": 1.2715,
        "open": 1.2715,
        "high": 1.2715,
        "low": 1.2715,
        "close": 1.2715,
        "volume": 0.0,
    }


async def test_pages_through_the_yahoo_windows(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url, window_days=2)
    try:
        series = await provider.fetch_daily(EUR, day_s(1, 2) * 1000, day_s(1, 4) * 1000)
    finally:
        await provider.close()

    assert len(standin.requests) == 2
    assert [p["value"] for p in series.points] == [1.1039, 1.0941, 1.0925]


async def test_a_429_then_success(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.throttle_next(2, retry_after=None)
    sleeps: list[float] = []
    provider = make_provider(url, sleeps=sleeps)
    try:
        series = await provider.fetch_daily(EUR, day_s(1, 4) * 1000, day_s(1, 4) * 1000)
    finally:
        await provider.close()

    assert sleeps == [0.5, 1.0]
    assert [p["value"] for p in series.points] == [1.0925]


async def test_errors_name_the_fiat_provider(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.delay_s = 0.6
    provider = make_provider(url, timeout_s=0.2)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(EUR, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == "Fiat: timed out after 0.2 s (asset fiat:EUR)"


async def test_a_malformed_body_returns_nothing(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.malformed_body = b"{"
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(EUR, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == "Fiat: malformed response: not JSON: '{' (asset fiat:EUR)"


async def test_an_unknown_currency_reports_yahoos_404(yahoo: tuple[YahooChartStandin, str]) -> None:
    _, url = yahoo
    asset = PricedAsset("fiat:XYZ", "XYZ", "fiat", "fiat")
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(asset, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == (
        "Fiat: HTTP 404: Not Found: No data found, symbol may be delisted (asset fiat:XYZ)"
    )


async def test_no_rates_is_an_empty_response(yahoo: tuple[YahooChartStandin, str]) -> None:
    _, url = yahoo
    provider = make_provider(url)
    try:
        with pytest.raises(EmptyResponse) as caught:
            await provider.fetch_daily(EUR, day_s(3, 1) * 1000, day_s(3, 2) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == "Fiat: EmptyResponse (asset fiat:EUR)"
