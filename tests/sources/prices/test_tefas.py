from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import EmptyResponse, PricedAsset, PriceFetchError
from privatefolio_daemon.sources.prices.fiat import FiatProvider
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.tefas import TefasProvider, is_tefas_fund, tefas_date
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import TefasHistoryStandin, YahooCandle, YahooChartStandin

TI2 = PricedAsset("fund.tefas:TI2", "TI2", "fund", "fund.tefas")
THREE_HOURS_MS = 3 * 3_600_000


def day_ms(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp()) * 1000


TI2_PRICES = {
    day_ms(1, 2): 1.234567,
    day_ms(1, 3): 1.236012,
    day_ms(1, 4): 1.237409,
    day_ms(2, 15): 1.301122,
    day_ms(3, 14): 1.352001,
}


TRY_IN_USD = {
    day_ms(1, 2): 0.0336,
    day_ms(1, 3): 0.0335,
    # none on Jan 4: Jan 3's rate is used
    day_ms(2, 15): 0.0324,
    day_ms(3, 14): 0.0311,
}
TI2_IN_USD = [0.0414814512, 0.041406402, 0.0414532015, 0.0421563528, 0.0420472311]
"""``TI2_PRICES`` × the day's ``TRY_IN_USD``, exactly."""


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    """Yahoo's ``TRYUSD=X``, the USD rate of the lira the fiat provider gives."""
    standin = YahooChartStandin()
    rates = [YahooCandle(day // 1000, r, r, r, r, 0) for day, r in TRY_IN_USD.items()]
    standin.add_candles("TRYUSD=X", rates, gmtoffset=0, timezone="Europe/London")
    with serve_in_thread(standin.app()) as url:
        yield standin, url


@pytest.fixture
async def usd(yahoo: tuple[YahooChartStandin, str]) -> AsyncIterator[UsdConverter]:
    """Converts with the fiat provider's TRY rates, from the Yahoo stand-in."""
    fetcher = JsonFetcher(YAHOO_NAME, error_detail=yahoo_error_detail)
    converter = UsdConverter(FiatProvider(YahooChartClient(fetcher, base_url=yahoo[1])))
    yield converter
    await converter.fiat.close()


@pytest.fixture
def tefas() -> Iterator[tuple[TefasHistoryStandin, str]]:
    standin = TefasHistoryStandin(tarih_offset_ms=-THREE_HOURS_MS)  # Istanbul midnight
    standin.add_prices("TI2", TI2_PRICES, title="İŞ PORTFÖY BIST 100 DIŞI ŞİRKETLER FONU")
    standin.add_prices("AFT", {day_ms(1, 2): 0.5})
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def make_provider(
    url: str,
    usd: UsdConverter,
    *,
    window_days: int = 90,
    timeout_s: float = 10.0,
    sleeps: list[float] | None = None,
) -> TefasProvider:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    fetcher = JsonFetcher("TEFAS", policy=FetchPolicy(timeout_s=timeout_s), sleep=record)
    return TefasProvider(fetcher, usd=usd, base_url=url, window_days=window_days)


async def test_fund_prices_in_try_are_stored_in_usd_at_each_days_rate(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    provider = make_provider(url, usd)
    try:
        series = await provider.fetch_daily(TI2, day_ms(1, 1), day_ms(1, 4))
    finally:
        await provider.close()

    assert series.pair == "TI2-TRY"
    assert series.points == [
        {"time": day_ms(1, 2) // 1000, "value": 0.0414814512},
        {"time": day_ms(1, 3) // 1000, "value": 0.041406402},
        {"time": day_ms(1, 4) // 1000, "value": 0.0414532015},
    ]
    # Jan 1 has no price: the days before it are asked for the last one (there is none).
    assert [(r.method, r.path) for r in standin.requests] == [
        ("POST", "/api/DB/BindHistoryInfo"),
        ("POST", "/api/DB/BindHistoryInfo"),
    ]
    assert (standin.requests[1].form["bastarih"], standin.requests[1].form["bittarih"]) == (
        "22.12.2023",
        "31.12.2023",
    )
    assert standin.requests[0].form == {
        "fontip": "YAT",
        "sfontur": "",
        "fonkod": "TI2",
        "fongrup": "",
        "bastarih": "01.01.2024",
        "bittarih": "04.01.2024",
        "fonturkod": "",
        "fonunvantip": "",
    }


async def test_long_ranges_are_fetched_in_windows(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    provider = make_provider(url, usd, window_days=30)
    try:
        series = await provider.fetch_daily(TI2, day_ms(1, 1), day_ms(3, 15))
    finally:
        await provider.close()

    assert [(r.form["bastarih"], r.form["bittarih"]) for r in standin.requests] == [
        ("01.01.2024", "30.01.2024"),
        ("31.01.2024", "29.02.2024"),
        ("01.03.2024", "15.03.2024"),
        ("22.12.2023", "31.12.2023"),  # the last price before Jan 1, which has none
    ]
    real_days = [p["value"] for p in series.points if p["time"] * 1000 in TI2_PRICES]
    assert real_days == TI2_IN_USD
    # Every day from Jan 2 to Mar 15 is there; the days without a price carry the last one.
    assert [p["time"] for p in series.points] == list(
        range(day_ms(1, 2) // 1000, day_ms(3, 15) // 1000 + 1, 86_400)
    )
    by_day = {p["time"] * 1000: p["value"] for p in series.points}
    assert by_day[day_ms(1, 5)] == by_day[day_ms(2, 14)] == TI2_IN_USD[2]
    assert by_day[day_ms(2, 16)] == by_day[day_ms(3, 13)] == TI2_IN_USD[3]


async def test_a_weekend_carries_fridays_usd_price_and_the_range_ends_on_the_last(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    # Friday Jan 5 and Monday Jan 8, 2024; TRY rates end on Jan 3, which both days then use.
    standin.add_prices("TI3", {day_ms(1, 5): 2.0, day_ms(1, 8): 3.0})
    fund = PricedAsset("fund.tefas:TI3", "TI3", "fund", "fund.tefas")
    provider = make_provider(url, usd)
    try:
        series = await provider.fetch_daily(fund, day_ms(1, 4), day_ms(1, 10))
    finally:
        await provider.close()

    assert series.points == [
        {"time": day_ms(1, 5) // 1000, "value": 0.067},
        {"time": day_ms(1, 6) // 1000, "value": 0.067},
        {"time": day_ms(1, 7) // 1000, "value": 0.067},
        {"time": day_ms(1, 8) // 1000, "value": 0.1005},
        {"time": day_ms(1, 9) // 1000, "value": 0.1005},
        {"time": day_ms(1, 10) // 1000, "value": 0.1005},
    ]


async def test_pension_funds_are_asked_as_emk(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.add_prices("AEH", {day_ms(1, 2): 0.071234}, fund_type="EMK")
    asset = PricedAsset("fund.tefas-emk:AEH", "AEH", "fund", "fund.tefas-emk")
    provider = make_provider(url, usd)
    try:
        series = await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 2))
    finally:
        await provider.close()

    assert standin.requests[0].form["fontip"] == "EMK"
    assert series.points == [{"time": day_ms(1, 2) // 1000, "value": 0.0023934624}]


async def test_a_fund_of_no_tefas_platform_is_looked_for_in_each_fund_type(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.add_prices("AEH", {day_ms(1, 2): 0.071234}, fund_type="EMK")
    provider = make_provider(url, usd)
    try:
        series = await provider.fetch_daily(
            PricedAsset("fund:AEH", "AEH", "fund", "fund"), day_ms(1, 2), day_ms(1, 2)
        )
        standin.requests.clear()
        with pytest.raises(EmptyResponse, match=r"^TEFAS: EmptyResponse \(asset fund:NONE\)$"):
            await provider.fetch_daily(
                PricedAsset("fund:NONE", "NONE", "fund", "fund"), day_ms(1, 2), day_ms(1, 2)
            )
    finally:
        await provider.close()

    assert series.points == [{"time": day_ms(1, 2) // 1000, "value": 0.0023934624}]
    # each type asked for the day, then for the ten days before it (the last close)
    asked = [request.form["fontip"] for request in standin.requests]
    assert asked == ["YAT", "YAT", "EMK", "EMK", "BYF", "BYF"]


async def test_a_429_then_success(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.throttle_next(1, retry_after="5")
    sleeps: list[float] = []
    provider = make_provider(url, usd, sleeps=sleeps)
    try:
        series = await provider.fetch_daily(TI2, day_ms(1, 2), day_ms(1, 2))
    finally:
        await provider.close()

    assert sleeps == [5.0]
    assert len(standin.requests) == 2
    assert series.points == [{"time": day_ms(1, 2) // 1000, "value": 0.0414814512}]


async def test_a_timeout_names_provider_and_asset(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.delay_s = 0.6
    provider = make_provider(url, usd, timeout_s=0.2)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(TI2, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert str(caught.value) == "TEFAS: timed out after 0.2 s (asset fund.tefas:TI2)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"draw": 0, "recordsTotal": 0}', "no data list"),
        (b'{"data": ["TI2"]}', "data[0] is 'TI2'"),
        (
            b'{"data": [{"TARIH": "1704142800000", "FONKODU": "TI2", "FIYAT": "n/a"}]}',
            "data[0] has TARIH='1704142800000', FIYAT='n/a'",
        ),
        (b'{"data": [{"FONKODU": "TI2", "FIYAT": 1.2}]}', "data[0] has TARIH=None, FIYAT=1.2"),
    ],
)
async def test_a_malformed_body_returns_nothing(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter, body: bytes, reason: str
) -> None:
    standin, url = tefas
    standin.malformed_body = body
    provider = make_provider(url, usd)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(TI2, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert str(caught.value) == f"TEFAS: malformed response: {reason} (asset fund.tefas:TI2)"


async def test_rows_of_other_funds_are_ignored(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.malformed_body = (
        b'{"data": [{"TARIH": "1704142800000", "FONKODU": "AFT", "FIYAT": 0.5},'
        b' {"TARIH": "1704142800000", "FONKODU": "TI2", "FIYAT": 1.234567}]}'
    )
    provider = make_provider(url, usd)
    try:
        series = await provider.fetch_daily(TI2, day_ms(1, 2), day_ms(1, 2))
    finally:
        await provider.close()

    assert series.points == [{"time": day_ms(1, 2) // 1000, "value": 0.0414814512}]


async def test_no_rows_is_an_empty_response(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    _, url = tefas
    asset = PricedAsset("fund.tefas:ZZZ", "ZZZ", "fund", "fund.tefas")
    provider = make_provider(url, usd)
    try:
        with pytest.raises(EmptyResponse) as caught:
            await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 4))
    finally:
        await provider.close()

    assert str(caught.value) == "TEFAS: EmptyResponse (asset fund.tefas:ZZZ)"


async def test_a_fund_without_a_try_rate_fails_naming_the_currency(
    tefas: tuple[TefasHistoryStandin, str], yahoo: tuple[YahooChartStandin, str], usd: UsdConverter
) -> None:
    _, url = tefas
    del yahoo[0].series["TRYUSD=X"]
    provider = make_provider(url, usd)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(TI2, day_ms(1, 2), day_ms(1, 3))
    finally:
        await provider.close()

    assert str(caught.value) == (
        "TEFAS: no USD rate for TRY: HTTP 404: Not Found: No data found, symbol may be delisted"
        " (asset fund.tefas:TI2)"
    )


async def test_a_fund_price_before_the_first_try_rate_fails(
    tefas: tuple[TefasHistoryStandin, str], usd: UsdConverter
) -> None:
    standin, url = tefas
    standin.add_prices("TI2", {day_ms(1, 1): 1.2, **TI2_PRICES})
    provider = make_provider(url, usd)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(TI2, day_ms(1, 1), day_ms(1, 3))
    finally:
        await provider.close()

    assert str(caught.value) == (
        "TEFAS: no USD rate for TRY on Jan 01, 2024 or before (asset fund.tefas:TI2)"
    )


def test_tefas_dates_and_fund_platforms() -> None:
    assert tefas_date(day_ms(2, 29)) == "29.02.2024"
    assert is_tefas_fund(TI2)
    assert is_tefas_fund(PricedAsset("fund.tefas-byf:GLDTR", "GLDTR", "fund", "fund.tefas-byf"))
    assert not is_tefas_fund(PricedAsset("ex.nyse:SPY", "SPY", "fund", "ex.nyse"))
