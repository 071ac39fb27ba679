from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import EmptyResponse, PricedAsset, PriceFetchError
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.metals import MetalsProvider
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import YahooCandle, YahooChartStandin

GOLD = PricedAsset("metal:XAU", "XAU", "metal", "metal")
SILVER = PricedAsset("metal:XAG", "XAG", "metal", "metal")


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


def comex_open(month: int, day: int) -> int:
    """COMEX futures candles are stamped at 05:00 UTC (midnight New York)."""
    return day_s(month, day) + 5 * 3600


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    standin.add_candles(
        "GC=F",
        [
            YahooCandle(comex_open(1, 2), 2072.2, 2080.9, 2058.9, 2064.4, 1230),
            YahooCandle(comex_open(1, 3), 2065.4, 2065.4, 2034.5, 2034.2, 1402),
            YahooCandle(comex_open(1, 4), 2041.8, 2050.5, 2041.8, 2042.3, 338),
        ],
    )
    standin.add_candles("SI=F", [YahooCandle(comex_open(1, 2), 23.79, 24.09, 23.54, 23.71, 88)])
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def make_provider(
    url: str, *, window_days: int = 3650, timeout_s: float = 10.0, sleeps: list[float] | None = None
) -> MetalsProvider:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    fetcher = JsonFetcher(
        YAHOO_NAME,
        policy=FetchPolicy(timeout_s=timeout_s),
        error_detail=yahoo_error_detail,
        sleep=record,
    )
    return MetalsProvider(YahooChartClient(fetcher, base_url=url, window_days=window_days))


async def test_gold_is_priced_from_comex_futures(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(GOLD, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert series.pair == "GC=F"
    assert series.points == [
        {
            "time": day_s(1, 2),
            "value": 2064.4,
            "open": 2072.2,
            "high": 2080.9,
            "low": 2058.9,
            "close": 2064.4,
            "volume": 1230.0,
        },
        {
            "time": day_s(1, 3),
            "value": 2034.2,
            "open": 2065.4,
            "high": 2065.4,
            "low": 2034.5,
            "close": 2034.2,
            "volume": 1402.0,
        },
    ]
    assert [r.path for r in standin.requests] == ["/v8/finance/chart/GC=F"]


async def test_a_weekend_carries_fridays_close(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.add_candles(
        "GC=F",
        [
            YahooCandle(comex_open(1, 5), 2042.0, 2063.0, 2024.0, 2049.8, 1500),  # Friday
            YahooCandle(comex_open(1, 8), 2048.0, 2049.0, 2017.0, 2030.2, 1100),  # Monday
        ],
    )
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(GOLD, day_s(1, 5) * 1000, day_s(1, 9) * 1000)
    finally:
        await provider.close()

    assert [(p["time"], p["value"]) for p in series.points] == [
        (day_s(1, 5), 2049.8),
        (day_s(1, 6), 2049.8),
        (day_s(1, 7), 2049.8),
        (day_s(1, 8), 2030.2),
        (day_s(1, 9), 2030.2),  # Monday's close, to the last day asked for (in the past)
    ]


async def test_silver_uses_si_futures(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(SILVER, day_s(1, 2) * 1000, day_s(1, 2) * 1000)
    finally:
        await provider.close()

    assert series.pair == "SI=F"
    assert [(p["time"], p["value"]) for p in series.points] == [(day_s(1, 2), 23.71)]
    assert [r.path for r in standin.requests] == ["/v8/finance/chart/SI=F"]


async def test_pages_through_the_yahoo_windows(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url, window_days=1)
    try:
        series = await provider.fetch_daily(GOLD, day_s(1, 2) * 1000, day_s(1, 4) * 1000)
    finally:
        await provider.close()

    # Each window asks for a day more on each side.
    assert [(r.query["period1"], r.query["period2"]) for r in standin.requests] == [
        (str(day_s(1, 1)), str(day_s(1, 4) - 1)),
        (str(day_s(1, 2)), str(day_s(1, 5) - 1)),
        (str(day_s(1, 3)), str(day_s(1, 6) - 1)),
    ]
    assert [p["value"] for p in series.points] == [2064.4, 2034.2, 2042.3]


async def test_a_429_then_success(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.throttle_next(1, retry_after="1")
    sleeps: list[float] = []
    provider = make_provider(url, sleeps=sleeps)
    try:
        series = await provider.fetch_daily(GOLD, day_s(1, 4) * 1000, day_s(1, 4) * 1000)
    finally:
        await provider.close()

    assert sleeps == [1.0]
    assert [p["value"] for p in series.points] == [2042.3]


async def test_errors_name_the_metals_provider(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.delay_s = 0.6
    provider = make_provider(url, timeout_s=0.2)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(GOLD, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == "Metals: timed out after 0.2 s (asset metal:XAU)"


async def test_a_malformed_body_returns_nothing(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    standin.malformed_body = b'{"chart": {"result": null, "error": null}}'
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(GOLD, day_s(1, 2) * 1000, day_s(1, 3) * 1000)
    finally:
        await provider.close()

    assert (
        str(caught.value) == "Metals: malformed response: chart.result is empty (asset metal:XAU)"
    )


async def test_no_candles_is_an_empty_response(yahoo: tuple[YahooChartStandin, str]) -> None:
    _, url = yahoo
    provider = make_provider(url)
    try:
        with pytest.raises(EmptyResponse) as caught:
            await provider.fetch_daily(GOLD, day_s(2, 1) * 1000, day_s(2, 2) * 1000)
    finally:
        await provider.close()

    assert str(caught.value) == "Metals: EmptyResponse (asset metal:XAU)"


def test_supports_gold_and_silver_only() -> None:
    provider = MetalsProvider(YahooChartClient(JsonFetcher(YAHOO_NAME)))
    assert provider.supports(GOLD)
    assert provider.supports(SILVER)
    assert not provider.supports(PricedAsset("metal:XPT", "XPT", "metal", "metal"))
    assert not provider.supports(PricedAsset("ex.binance:PAXG", "PAXG", "crypto", "ex.binance"))
