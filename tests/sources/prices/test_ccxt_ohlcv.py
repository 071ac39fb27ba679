"""CcxtOhlcvProvider against the fake Binance, through the real ccxt client."""

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.prices.base import (
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    ProviderUnreachable,
)
from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import Candle, synthetic_daily_candles
from tests.standins.exchanges.control import unreachable_url

FIRST_DAY = 1_577_836_800_000  # 2020-01-01
BTC = PricedAsset(id="ex.binance:BTC", ticker="BTC")
ETH = PricedAsset(id="ex.binance:ETH", ticker="ETH")
DOGE = PricedAsset(id="ex.binance:DOGE", ticker="DOGE")
FAST_RETRIES = (0.01, 0.01, 0.01)


@pytest.fixture
def standin() -> BinanceStandin:
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    standin.add_market("BTC", "USD")
    standin.add_market("ETH", "USD")
    standin.set_daily_candles("BTCUSDT", synthetic_daily_candles(FIRST_DAY, 1500))
    standin.set_daily_candles("ETHUSD", synthetic_daily_candles(FIRST_DAY, 3, start_price=2000))
    return standin


@pytest.fixture
def url(standin: BinanceStandin) -> Iterator[str]:
    with serve_in_thread(standin.app()) as base_url:
        yield base_url


def provider_for(url: str, **options: Any) -> CcxtOhlcvProvider:
    return CcxtOhlcvProvider(
        "binance",
        priority=2,
        configure=lambda exchange: configure_binance_for_standin(exchange, url),
        **options,
    )


def klines_starts(standin: BinanceStandin) -> list[int]:
    return [int(r.query["startTime"]) for r in standin.control.requests_to("/api/v3/klines")]


async def test_pages_forward_over_more_than_1000_days(standin: BinanceStandin, url: str) -> None:
    provider = provider_for(url)
    try:
        series = await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY + 1499 * DAY_MS)
    finally:
        await provider.close()
    assert series.pair == "BTCUSDT"
    assert len(series.points) == 1500
    assert series.points[0] == {
        "time": FIRST_DAY // 1000,
        "value": 101.0,
        "open": 100.0,
        "high": 102.0,
        "low": 99.0,
        "close": 101.0,
        "volume": 10.5,
    }
    assert series.points[-1]["time"] == (FIRST_DAY + 1499 * DAY_MS) // 1000
    assert series.points[-1]["value"] == 1600.0
    assert klines_starts(standin) == [FIRST_DAY, FIRST_DAY + 1000 * DAY_MS]
    assert [r.query["limit"] for r in standin.control.requests_to("/api/v3/klines")] == [
        "1000",
        "1000",
    ]
    assert len(standin.control.requests_to("/api/v3/exchangeInfo")) == 1


async def test_keeps_only_days_inside_the_range(url: str) -> None:
    provider = provider_for(url)
    try:
        series = await provider.fetch_daily(BTC, FIRST_DAY + 10 * DAY_MS, FIRST_DAY + 12 * DAY_MS)
    finally:
        await provider.close()
    assert [p["time"] for p in series.points] == [
        (FIRST_DAY + d * DAY_MS) // 1000 for d in (10, 11, 12)
    ]
    assert [p["value"] for p in series.points] == [111.0, 112.0, 113.0]


async def test_prefers_usdt_then_falls_back_to_usd(url: str) -> None:
    provider = provider_for(url)
    try:
        btc = await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY + DAY_MS)
        eth = await provider.fetch_daily(ETH, FIRST_DAY, FIRST_DAY + 5 * DAY_MS)
        with pytest.raises(PriceFetchError) as missing:
            await provider.fetch_daily(DOGE, FIRST_DAY, FIRST_DAY + DAY_MS)
    finally:
        await provider.close()
    assert btc.pair == "BTCUSDT"
    assert eth.pair == "ETHUSD"
    assert [p["value"] for p in eth.points] == [2001.0, 2002.0, 2003.0]
    assert str(missing.value) == "Binance: no DOGE/USDT or DOGE/USD market (asset ex.binance:DOGE)"


async def test_the_quote_currency_is_worth_one_on_every_day(
    standin: BinanceStandin, url: str
) -> None:
    provider = provider_for(url)
    usdt = PricedAsset(id="ex.binance:USDT", ticker="USDT")
    try:
        series = await provider.fetch_daily(usdt, FIRST_DAY - 1, FIRST_DAY + 2 * DAY_MS + 5)
    finally:
        await provider.close()
    assert series.pair == "USDT"
    assert series.points == [
        {"time": (FIRST_DAY + day * DAY_MS) // 1000, "value": 1.0} for day in (0, 1, 2)
    ]
    assert standin.control.requests_to("/api/v3/klines") == []


async def test_a_quote_currency_with_a_market_of_its_own_takes_that_markets_prices(
    standin: BinanceStandin, url: str
) -> None:
    """As Coinbase's USDT/USD: a depeg shows."""
    standin.add_market("USDT", "USD")
    standin.set_daily_candles("USDTUSD", synthetic_daily_candles(FIRST_DAY, 3, start_price=1))
    provider = provider_for(url)
    usdt = PricedAsset(id="coinbase:USDT", ticker="USDT")
    try:
        series = await provider.fetch_daily(usdt, FIRST_DAY, FIRST_DAY + 2 * DAY_MS)
    finally:
        await provider.close()
    assert series.pair == "USDTUSD"
    assert [point["value"] for point in series.points] == [2.0, 3.0, 4.0]


async def test_two_candles_of_one_day_keep_the_later_one(standin: BinanceStandin, url: str) -> None:
    standin.add_market("DOT", "USDT")
    standin.set_daily_candles(
        "DOTUSDT",
        [
            Candle(FIRST_DAY, "1", "2", "1", "1.5", "10"),
            Candle(FIRST_DAY + DAY_MS, "1", "2", "1", "1.5", "10"),
            Candle(FIRST_DAY + DAY_MS, "1", "2", "0.9", "1.6", "10"),
            Candle(FIRST_DAY + 2 * DAY_MS, "1.6", "2", "1", "1.7", "5"),
        ],
    )
    provider = provider_for(url)
    try:
        series = await provider.fetch_daily(
            PricedAsset(id="ex.binance:DOT", ticker="DOT"), FIRST_DAY, FIRST_DAY + 2 * DAY_MS
        )
    finally:
        await provider.close()
    assert [(p["time"], p["value"], p["low"]) for p in series.points] == [
        (FIRST_DAY // 1000, 1.5, 1.0),
        ((FIRST_DAY + DAY_MS) // 1000, 1.6, 0.9),
        ((FIRST_DAY + 2 * DAY_MS) // 1000, 1.7, 1.0),
    ]


async def test_nothing_in_range_is_an_empty_response(url: str) -> None:
    provider = provider_for(url)
    try:
        with pytest.raises(EmptyResponse) as empty:
            await provider.fetch_daily(BTC, FIRST_DAY - 30 * DAY_MS, FIRST_DAY - DAY_MS)
    finally:
        await provider.close()
    assert str(empty.value) == "Binance: EmptyResponse (asset ex.binance:BTC)"


async def test_a_429_is_retried_after_retry_after(standin: BinanceStandin, url: str) -> None:
    provider = provider_for(url, retry_delays=FAST_RETRIES)
    try:
        await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
        standin.control.clear()
        standin.control.answer_429(1, retry_after=1)
        started = time.monotonic()
        series = await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY + 2 * DAY_MS)
        elapsed = time.monotonic() - started
    finally:
        await provider.close()
    assert [p["value"] for p in series.points] == [101.0, 102.0, 103.0]
    assert klines_starts(standin) == [FIRST_DAY, FIRST_DAY]
    assert 1.0 <= elapsed < 5.0


async def test_a_503_is_retried(standin: BinanceStandin, url: str) -> None:
    provider = provider_for(url, retry_delays=FAST_RETRIES)
    standin.control.answer_status(2, 503)
    try:
        series = await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert series.points[0]["value"] == 101.0
    assert standin.control.paths() == ["/api/v3/exchangeInfo"] * 3 + ["/api/v3/klines"]


async def test_rate_limiting_gives_up_after_bounded_attempts(
    standin: BinanceStandin, url: str
) -> None:
    provider = provider_for(url, retry_delays=FAST_RETRIES)
    standin.control.answer_429(10, retry_after=None)
    try:
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert str(failure.value) == "Binance: rate limited after 4 attempts (asset ex.binance:BTC)"
    assert len(standin.control.requests) == 4


async def test_a_slow_exchange_times_out_with_a_clear_error(
    standin: BinanceStandin, url: str
) -> None:
    provider = provider_for(url, timeout_ms=200)
    standin.control.delay_seconds = 1.0
    try:
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert str(failure.value) == "Binance: timed out after 200 ms (asset ex.binance:BTC)"


async def test_an_unreachable_exchange_names_provider_and_asset() -> None:
    down = unreachable_url()
    provider = provider_for(down, retry_delays=FAST_RETRIES)
    try:
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(ETH, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert isinstance(failure.value, ProviderUnreachable)
    message = str(failure.value)
    assert message.startswith(f"Binance: cannot connect: Cannot connect to host {down[7:]}")
    assert message.endswith("(asset ex.binance:ETH)")


async def test_a_malformed_body_is_a_clear_error(standin: BinanceStandin, url: str) -> None:
    provider = provider_for(url)
    try:
        await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
        standin.control.answer_raw(1, '[[1577836800000, "100.0"')
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert str(failure.value) == (
        "Binance: malformed response: '[[1577836800000, \"100.0\"' (asset ex.binance:BTC)"
    )


async def test_a_candle_without_prices_is_a_clear_error(standin: BinanceStandin, url: str) -> None:
    provider = provider_for(url)
    try:
        await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
        standin.control.answer_raw(1, '[[1577836800000,"n/a","1","1","1","1",0]]')
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert str(failure.value) == (
        "Binance: malformed response: candle [1577836800000, None, 1.0, 1.0, 1.0, 1.0]"
        " (asset ex.binance:BTC)"
    )


async def test_an_unknown_symbol_error_from_the_exchange_names_it(
    standin: BinanceStandin, url: str
) -> None:
    provider = provider_for(url)
    try:
        await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
        del standin.markets["BTCUSDT"]  # delisted after markets were loaded
        with pytest.raises(PriceFetchError) as failure:
            await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    finally:
        await provider.close()
    assert str(failure.value) == (
        'Binance: unknown symbol: binance {"code":-1121,"msg":"Invalid symbol."}'
        " (asset ex.binance:BTC)"
    )


async def test_close_closes_the_ccxt_session(url: str) -> None:
    clients: list[Any] = []

    def configure(exchange: Any) -> None:
        configure_binance_for_standin(exchange, url)
        clients.append(exchange)

    provider = CcxtOhlcvProvider("binance", priority=2, configure=configure)
    await provider.fetch_daily(BTC, FIRST_DAY, FIRST_DAY)
    assert clients[0].session is not None
    await provider.close()
    assert clients[0].session is None
    assert (provider.id, provider.name, provider.priority) == ("binance", "Binance", 2)
    assert provider.supports(BTC)
    assert not provider.supports(
        PricedAsset(id="gov.us-sec:AAPL", ticker="AAPL", asset_type="stock")
    )


def test_importing_the_provider_does_not_import_ccxt() -> None:
    code = "import sys, privatefolio_daemon.sources.prices.ccxt_ohlcv;print('ccxt' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
