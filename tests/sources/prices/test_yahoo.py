from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    fill_closed_days,
)
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

AAPL = PricedAsset("gov.us-sec:320193:AAPL", "AAPL", "stock", "gov.us-sec")
DAY_MS = 86_400_000


def day_ms(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp()) * 1000


def us_open(month: int, day: int) -> int:
    """14:30 UTC, the NYSE/Nasdaq open in winter, as Yahoo stamps a daily candle."""
    return day_ms(month, day) // 1000 + 14 * 3600 + 1800


AAPL_CANDLES = [
    YahooCandle(us_open(1, 2), 187.15, 188.44, 183.89, 185.64, 82488700),
    YahooCandle(us_open(1, 3), 184.22, 185.88, 183.43, 184.25, 58414500),
    YahooCandle(us_open(1, 4), None, None, None, None, None),
    YahooCandle(us_open(1, 5), 181.99, 182.76, 180.17, 181.18, None),
]


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    standin.add_candles("AAPL", AAPL_CANDLES)
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def make_provider(
    url: str, *, timeout_s: float = 10.0, window_days: int = 3650, sleeps: list[float] | None = None
) -> YahooProvider:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    fetcher = JsonFetcher(
        YAHOO_NAME,
        policy=FetchPolicy(timeout_s=timeout_s),
        error_detail=yahoo_error_detail,
        sleep=record,
    )
    client = YahooChartClient(fetcher, base_url=url, window_days=window_days)
    return YahooProvider(client, usd=UsdConverter(FiatProvider(client)))


async def test_daily_candles_are_exact_and_a_day_without_a_close_carries_the_last_one(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(AAPL, day_ms(1, 2), day_ms(1, 5))
    finally:
        await provider.close()

    assert series.pair == "AAPL"
    assert series.points == [
        {
            "time": day_ms(1, 2) // 1000,
            "value": 185.64,
            "open": 187.15,
            "high": 188.44,
            "low": 183.89,
            "close": 185.64,
            "volume": 82488700.0,
        },
        {
            "time": day_ms(1, 3) // 1000,
            "value": 184.25,
            "open": 184.22,
            "high": 185.88,
            "low": 183.43,
            "close": 184.25,
            "volume": 58414500.0,
        },
        {
            "time": day_ms(1, 4) // 1000,
            "value": 184.25,
            "open": 184.25,
            "high": 184.25,
            "low": 184.25,
            "close": 184.25,
            "volume": 0.0,
        },
        {
            "time": day_ms(1, 5) // 1000,
            "value": 181.18,
            "open": 181.99,
            "high": 182.76,
            "low": 180.17,
            "close": 181.18,
        },
    ]
    assert [r.query for r in standin.requests] == [
        {  # a day more on each side, for bars stamped on the UTC day before or after their date
            "period1": str(day_ms(1, 1) // 1000),
            "period2": str(day_ms(1, 7) // 1000 - 1),
            "interval": "1d",
        }
    ]


async def test_the_exchange_date_comes_from_gmtoffset(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    # NZX opens at 10:00 NZDT, which is 21:00 UTC on the previous calendar day.
    standin.add_candles(
        "AIR.NZ",
        [YahooCandle(day_ms(1, 3) // 1000 + 21 * 3600, 0.6, 0.62, 0.59, 0.61, 1000)],
        gmtoffset=13 * 3600,
        currency="NZD",
        timezone="Pacific/Auckland",
    )
    standin.add_candles("NZDUSD=X", [london_day(1, 4, 0.6254)], gmtoffset=0, timezone=LONDON)
    asset = PricedAsset("ex.nzx:AIR.NZ", "AIR.NZ", "stock", "ex.nzx")
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(asset, day_ms(1, 1), day_ms(1, 6))
    finally:
        await provider.close()

    assert [(p["time"], p["value"]) for p in series.points] == [
        (day_ms(1, 4) // 1000, 0.381494),
        (day_ms(1, 5) // 1000, 0.381494),  # carried to the last day asked for
        (day_ms(1, 6) // 1000, 0.381494),
    ]


def london_day(month: int, day: int, close: float) -> YahooCandle:
    """A day of a ``<CUR>USD=X`` rate, stamped at 00:00 London time as Yahoo does."""
    return YahooCandle(day_ms(month, day) // 1000, close, close, close, close, 0)


def london_open(month: int, day: int) -> int:
    """08:00 UTC, the LSE open in winter."""
    return day_ms(month, day) // 1000 + 8 * 3600


async def test_a_london_stock_in_pence_is_stored_in_usd_at_each_days_rate(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.add_candles(
        "VOD.L",
        [
            YahooCandle(london_open(1, 2), 70.1, 71.0, 69.02, 70.5, 1000),
            YahooCandle(london_open(1, 3), 70.1, 71.0, 69.02, 69.84, 1000),
            YahooCandle(london_open(1, 4), 70.1, 71.0, 69.02, 70.12, 1000),
        ],
        gmtoffset=0,
        currency="GBp",
        timezone="Europe/London",
    )
    # No rate on Jan 4: Jan 3's is used.
    standin.add_candles(
        "GBPUSD=X",
        [london_day(1, 2, 1.2715), london_day(1, 3, 1.2621)],
        gmtoffset=0,
        timezone=LONDON,
    )
    asset = PricedAsset("stock:VOD.L", "VOD.L", "stock", "stock")
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 4))
    finally:
        await provider.close()

    assert series.pair == "VOD.L"
    assert series.points == [
        {
            "time": day_ms(1, 2) // 1000,
            "value": 0.8964075,
            "open": 0.8913215,
            "high": 0.902765,
            "low": 0.8775893,
            "close": 0.8964075,
            "volume": 1000.0,
        },
        {
            "time": day_ms(1, 3) // 1000,
            "value": 0.88145064,
            "open": 0.8847321,
            "high": 0.896091,
            "low": 0.87110142,
            "close": 0.88145064,
            "volume": 1000.0,
        },
        {
            "time": day_ms(1, 4) // 1000,
            "value": 0.88498452,
            "open": 0.8847321,
            "high": 0.896091,
            "low": 0.87110142,
            "close": 0.88498452,
            "volume": 1000.0,
        },
    ]


async def test_a_tokyo_stock_in_yen_is_stored_in_usd(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    # The TSE opens at 9:00 in Tokyo, 00:00 UTC.
    standin.add_candles(
        "7203.T",
        [YahooCandle(day_ms(1, 4) // 1000, 3000, 3010, 2990, 3005, 10)],
        gmtoffset=9 * 3600,
        currency="JPY",
        timezone="Asia/Tokyo",
    )
    standin.add_candles("JPYUSD=X", [london_day(1, 4, 0.00707)], gmtoffset=0, timezone=LONDON)
    asset = PricedAsset("stock:7203.T", "7203.T", "stock", "stock")
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(asset, day_ms(1, 4), day_ms(1, 4))
    finally:
        await provider.close()

    assert series.points == [
        {
            "time": day_ms(1, 4) // 1000,
            "value": 21.24535,
            "open": 21.21,
            "high": 21.2807,
            "low": 21.1393,
            "close": 21.24535,
            "volume": 10.0,
        }
    ]


async def test_a_stock_without_a_usd_rate_for_its_currency_fails_with_no_prices(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.add_candles(
        "VOD.L",
        [YahooCandle(london_open(1, 2), 70.1, 71.0, 69.02, 70.5, 1000)],
        gmtoffset=0,
        currency="GBp",
        timezone=LONDON,
    )
    asset = PricedAsset("stock:VOD.L", "VOD.L", "stock", "stock")
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 2))
    finally:
        await provider.close()

    assert str(caught.value) == (
        "Yahoo Finance: no USD rate for GBP: HTTP 404: Not Found: No data found, symbol may be"
        " delisted (asset stock:VOD.L)"
    )


async def test_long_ranges_are_fetched_in_windows(yahoo: tuple[YahooChartStandin, str]) -> None:
    standin, url = yahoo
    provider = make_provider(url, window_days=2)
    try:
        series = await provider.fetch_daily(AAPL, day_ms(1, 1), day_ms(1, 5))
    finally:
        await provider.close()

    # Jan 1 has no close: then the ten days before it are asked for the last one. Each window
    # asks for a day more on each side.
    def window(first: int, last: int) -> tuple[str, str]:
        return str((first - DAY_MS) // 1000), str((last + 2 * DAY_MS) // 1000 - 1)

    lookback = [
        window(start, min(start + DAY_MS, day_ms(1, 1) - DAY_MS))
        for start in range(day_ms(1, 1) - 10 * DAY_MS, day_ms(1, 1), 2 * DAY_MS)
    ]
    assert [(r.query["period1"], r.query["period2"]) for r in standin.requests] == [
        window(day_ms(1, 1), day_ms(1, 2)),
        window(day_ms(1, 3), day_ms(1, 4)),
        window(day_ms(1, 5), day_ms(1, 5)),
        *lookback,
    ]
    assert [p["close"] for p in series.points] == [185.64, 184.25, 184.25, 181.18]


async def test_a_weekend_carries_fridays_close_and_the_last_close_carries_to_the_range_end(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.add_candles(
        "SPY",
        [
            YahooCandle(us_open(1, 5), 470.5, 474.0, 469.0, 467.92, 86000000),  # Friday
            YahooCandle(us_open(1, 8), 468.43, 474.75, 468.3, 474.6, 74000000),  # Monday
        ],
    )
    spy = PricedAsset("stock:SPY", "SPY", "stock")
    provider = make_provider(url)
    try:
        # From the Wednesday before to the Wednesday after.
        series = await provider.fetch_daily(spy, day_ms(1, 3), day_ms(1, 10))
    finally:
        await provider.close()

    def closed(day: int) -> dict[str, float]:
        price = 467.92
        return {
            "time": day_ms(1, day) // 1000,
            "value": price,
            "open": price,
            "high": price,
            "low": price,
            "close": price,
            "volume": 0.0,
        }

    assert series.points == [
        {
            "time": day_ms(1, 5) // 1000,
            "value": 467.92,
            "open": 470.5,
            "high": 474.0,
            "low": 469.0,
            "close": 467.92,
            "volume": 86000000.0,
        },
        closed(6),
        closed(7),
        {
            "time": day_ms(1, 8) // 1000,
            "value": 474.6,
            "open": 468.43,
            "high": 474.75,
            "low": 468.3,
            "close": 474.6,
            "volume": 74000000.0,
        },
        {**closed(9), "value": 474.6, "open": 474.6, "high": 474.6, "low": 474.6, "close": 474.6},
        {**closed(10), "value": 474.6, "open": 474.6, "high": 474.6, "low": 474.6, "close": 474.6},
    ]


def test_fill_closed_days_carries_between_two_points_and_to_through() -> None:
    friday = day_ms(1, 5) // 1000
    points: list[ChartData] = [
        {"time": friday, "value": 1.5},
        {"time": friday + 3 * 86_400, "value": 2.5},
    ]

    assert fill_closed_days(points) == [
        {"time": friday, "value": 1.5},
        {"time": friday + 86_400, "value": 1.5},
        {"time": friday + 2 * 86_400, "value": 1.5},
        {"time": friday + 3 * 86_400, "value": 2.5},
    ]
    assert fill_closed_days(points[:1]) == points[:1]
    assert fill_closed_days([]) == []
    assert fill_closed_days(points[:1], through=friday + 2 * 86_400) == [
        {"time": friday, "value": 1.5},
        {"time": friday + 86_400, "value": 1.5},
        {"time": friday + 2 * 86_400, "value": 1.5},
    ]
    assert fill_closed_days([], through=friday) == []


async def test_a_429_is_retried_after_the_retry_after_delay(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.throttle_next(2, retry_after="3")
    sleeps: list[float] = []
    provider = make_provider(url, sleeps=sleeps)
    try:
        series = await provider.fetch_daily(AAPL, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert sleeps == [3.0, 3.0]
    assert len(standin.requests) == 3
    assert [p["close"] for p in series.points] == [185.64, 184.25]


async def test_a_slow_answer_times_out_naming_provider_and_asset(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.delay_s = 0.6
    provider = make_provider(url, timeout_s=0.2)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(AAPL, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert (
        str(caught.value) == "Yahoo Finance: timed out after 0.2 s (asset gov.us-sec:320193:AAPL)"
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>Will be right back</html>", "not JSON: '<html>Will be right back</html>'"),
        (b'{"finance": {"result": null}}', "no chart object"),
        (b'{"chart": {"result": [], "error": null}}', "chart.result is empty"),
        (
            b'{"chart": {"result": [{"timestamp": [1704205800], "indicators": {}}]}}',
            "chart.result[0].indicators.quote is missing",
        ),
        (
            b'{"chart": {"result": [{"timestamp": [1704205800, 1704292200],'
            b' "indicators": {"quote": [{"close": [185.64]}]}}]}}',
            "quote.close has 1 values for 2 timestamps",
        ),
        (
            b'{"chart": {"result": [{"timestamp": [1704205800],'
            b' "indicators": {"quote": [{"close": ["185.64"]}]}}]}}',
            "quote.close[0] is '185.64'",
        ),
        (
            b'{"chart": {"result": [{"meta": {"currency": 840}, "timestamp": [1704205800],'
            b' "indicators": {"quote": [{"close": [185.64]}]}}]}}',
            "meta.currency is 840",
        ),
    ],
)
async def test_a_malformed_body_is_a_clear_error(
    yahoo: tuple[YahooChartStandin, str], body: bytes, reason: str
) -> None:
    standin, url = yahoo
    standin.malformed_body = body
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(AAPL, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert caught.value.reason == f"malformed response: {reason}"
    assert str(caught.value).startswith("Yahoo Finance: malformed response: ")


async def test_a_range_without_trading_days_is_an_empty_response(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    _, url = yahoo
    provider = make_provider(url)
    try:
        with pytest.raises(EmptyResponse) as caught:
            await provider.fetch_daily(AAPL, day_ms(2, 1), day_ms(2, 3))
    finally:
        await provider.close()

    assert str(caught.value) == "Yahoo Finance: EmptyResponse (asset gov.us-sec:320193:AAPL)"


async def test_an_unknown_symbol_reports_yahoos_error(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    asset = PricedAsset("gov.us-sec:1:NOPE", "NOPE", "stock", "gov.us-sec")
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert str(caught.value) == (
        "Yahoo Finance: HTTP 404: Not Found: No data found, symbol may be delisted"
        " (asset gov.us-sec:1:NOPE)"
    )
    assert len(standin.requests) == 1


def test_supports_stocks_and_funds_only() -> None:
    client = YahooChartClient(JsonFetcher(YAHOO_NAME))
    provider = YahooProvider(client, usd=UsdConverter(FiatProvider(client)))
    assert provider.supports(AAPL)
    assert provider.supports(PricedAsset("ex.nyse:SPY", "SPY", "fund", "ex.nyse"))
    assert not provider.supports(PricedAsset("ex.binance:BTC", "BTC", "crypto", "ex.binance"))
    assert not provider.supports(PricedAsset("metal:XAU", "XAU", "metal", "metal"))
