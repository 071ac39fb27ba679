"""A price that is no finite positive number within the amount bounds is skipped where a provider
reads it, with a line naming the provider, the asset and the day; a market that closes carries
the last close into that day, as into any other without a close."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import PricedAsset
from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider
from privatefolio_daemon.sources.prices.defillama import DefiLlamaProvider
from privatefolio_daemon.sources.prices.fiat import FiatProvider
from privatefolio_daemon.sources.prices.http_fetch import JsonFetcher
from privatefolio_daemon.sources.prices.tefas import TefasProvider
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    YahooProvider,
    yahoo_error_detail,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import Candle
from tests.standins.price_apis import (
    LONDON,
    DefiLlamaChartStandin,
    TefasHistoryStandin,
    YahooCandle,
    YahooChartStandin,
)

TI2 = PricedAsset("fund.tefas:TI2", "TI2", "fund", "fund.tefas")
AAPL = PricedAsset("stock:AAPL", "AAPL", "stock", "stock")
BTC = PricedAsset("ex.binance:BTC", "BTC")
CONTRACT = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
WETH = PricedAsset(f"chain.ethereum:{CONTRACT}:WETH", "WETH", "crypto", "chain.ethereum", CONTRACT)
NEW_YORK_OPEN_S = 14 * 3600 + 1800


def day_s(day: int) -> int:
    """That day of January 2024 (Tuesday the 2nd to Friday the 5th are business days)."""
    return int(datetime(2024, 1, day, tzinfo=UTC).timestamp())


@pytest.fixture
def yahoo() -> Iterator[tuple[YahooChartStandin, str]]:
    standin = YahooChartStandin()
    rates = [YahooCandle(day_s(d), 0.03, 0.03, 0.03, 0.03, 0) for d in range(1, 6)]
    standin.add_candles("TRYUSD=X", rates, gmtoffset=0, timezone=LONDON)
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def yahoo_client(url: str, lines: list[str]) -> YahooChartClient:
    fetcher = JsonFetcher(YAHOO_NAME, error_detail=yahoo_error_detail)
    return YahooChartClient(fetcher, base_url=url, on_skipped=lines.append)


async def test_a_tefas_price_of_nan_is_skipped_and_the_day_carries_the_last_one(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    tefas = TefasHistoryStandin()
    tefas.add_prices("TI2", {day_s(2) * 1000: 2.0, day_s(3) * 1000: "NaN", day_s(4) * 1000: 0})
    lines: list[str] = []
    usd = UsdConverter(FiatProvider(yahoo_client(yahoo[1], [])))
    with serve_in_thread(tefas.app()) as url:
        provider = TefasProvider(
            JsonFetcher("TEFAS"), usd=usd, base_url=url, on_skipped=lines.append
        )
        try:
            series = await provider.fetch_daily(TI2, day_s(2) * 1000, day_s(4) * 1000)
        finally:
            await provider.close()
            await usd.fiat.close()

    assert [(p["time"], p["value"]) for p in series.points] == [
        (day_s(2), 0.06),
        (day_s(3), 0.06),
        (day_s(4), 0.06),
    ]
    assert lines == [  # in the order of TEFAS's answer, the latest day first
        "TEFAS: skipped the price of Jan 04, 2024: 0.0 is not positive (asset fund.tefas:TI2)",
        "TEFAS: skipped the price of Jan 03, 2024: NaN is not a finite number"
        " (asset fund.tefas:TI2)",
    ]


async def test_a_yahoo_close_out_of_range_is_skipped_and_the_day_carries_the_last_one(
    yahoo: tuple[YahooChartStandin, str],
) -> None:
    standin, url = yahoo
    standin.add_candles(
        "AAPL",
        [
            YahooCandle(day_s(2) + NEW_YORK_OPEN_S, 185.0, 186.0, 184.0, 185.5, 100),
            YahooCandle(day_s(3) + NEW_YORK_OPEN_S, 184.0, 1e308, 183.0, 184.5, 100),
            YahooCandle(day_s(4) + NEW_YORK_OPEN_S, 183.0, 184.0, 182.0, 1e308, 100),
        ],
    )
    lines: list[str] = []
    client = yahoo_client(url, lines)
    provider = YahooProvider(client, usd=UsdConverter(FiatProvider(client)))
    try:
        series = await provider.fetch_daily(AAPL, day_s(2) * 1000, day_s(4) * 1000)
    finally:
        await provider.close()

    assert series.points == [
        {
            "time": day_s(2),
            "value": 185.5,
            "open": 185.0,
            "high": 186.0,
            "low": 184.0,
            "close": 185.5,
            "volume": 100.0,
        },
        {  # the high out of range is left out
            "time": day_s(3),
            "value": 184.5,
            "open": 184.0,
            "low": 183.0,
            "close": 184.5,
            "volume": 100.0,
        },
        {
            "time": day_s(4),
            "value": 184.5,
            "open": 184.5,
            "low": 184.5,
            "close": 184.5,
            "volume": 0.0,
        },
    ]
    assert lines == [
        "Yahoo Finance: skipped the price of Jan 04, 2024: 1e+308 has more than 80 digits"
        " before the point (asset stock:AAPL)"
    ]


async def test_an_exchange_candle_closing_at_nan_is_skipped() -> None:
    first = day_s(2) * 1000
    binance = BinanceStandin()
    binance.add_market("BTC", "USDT")
    binance.set_daily_candles(
        "BTCUSDT",
        [
            Candle(first, "100", "102", "99", "101", "10"),
            Candle(first + 86_400_000, "101", "NaN", "100", "NaN", "NaN"),
            Candle(first + 2 * 86_400_000, "101", "103", "NaN", "102", "NaN"),
        ],
    )
    lines: list[str] = []
    with serve_in_thread(binance.app()) as url:
        provider = CcxtOhlcvProvider(
            "binance",
            priority=2,
            configure=lambda exchange: configure_binance_for_standin(exchange, url),
            on_skipped=lines.append,
        )
        try:
            series = await provider.fetch_daily(BTC, first, first + 2 * 86_400_000)
        finally:
            await provider.close()

    assert series.points == [
        {
            "time": day_s(2),
            "value": 101.0,
            "open": 100.0,
            "high": 102.0,
            "low": 99.0,
            "close": 101.0,
            "volume": 10.0,
        },
        {
            "time": day_s(4),
            "value": 102.0,
            "open": 101.0,
            "high": 103.0,
            "close": 102.0,
            "volume": 0.0,
        },
    ]
    assert lines == [
        "Binance: skipped the price of Jan 03, 2024: NaN is not a finite number"
        " (asset ex.binance:BTC)"
    ]


async def test_a_token_price_of_zero_is_skipped() -> None:
    llama = DefiLlamaChartStandin()
    llama.add_prices(
        f"ethereum:{CONTRACT}",
        [(day_s(2) + 5, 2352.07), (day_s(3) + 5, 0.0), (day_s(4) + 5, -1.0), (day_s(5), 2268.9)],
    )
    lines: list[str] = []
    with serve_in_thread(llama.app()) as url:
        provider = DefiLlamaProvider(
            JsonFetcher("DefiLlama"), base_url=url, on_skipped=lines.append
        )
        try:
            series = await provider.fetch_daily(WETH, day_s(2) * 1000, day_s(5) * 1000)
        finally:
            await provider.close()

    assert [(p["time"], p["value"]) for p in series.points] == [
        (day_s(2), 2352.07),
        (day_s(5), 2268.9),
    ]
    assert lines == [
        f"DefiLlama: skipped the price of Jan {d:02}, 2024: {v} is not positive (asset {WETH.id})"
        for d, v in ((3, "0.0"), (4, "-1.0"))
    ]
