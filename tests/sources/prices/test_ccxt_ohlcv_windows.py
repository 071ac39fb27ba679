"""CcxtOhlcvProvider against the fake Coinbase, through the real ccxt client: ccxt asks Coinbase for
a fixed window of 300 days from the page's start, so an empty or short window is no end of data."""

from collections.abc import Iterator

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from privatefolio_daemon.sources.prices.base import EmptyResponse, PricedAsset
from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance_records import synthetic_daily_candles
from tests.standins.exchanges.coinbase import CoinbaseStandin, configure_coinbase_for_standin

TODAY = day_start(now_ms())
CANDLES = "/api/v3/brokerage/market/products/{}/candles"
NEW = PricedAsset(id="crypto:NEW", ticker="NEW")
MID = PricedAsset(id="crypto:MID", ticker="MID")
GAP = PricedAsset(id="crypto:GAP", ticker="GAP")


@pytest.fixture
def standin() -> CoinbaseStandin:
    standin = CoinbaseStandin()
    standin.add_currency("USD", "US Dollar", fiat=True)
    for ticker in ("NEW", "MID", "GAP"):
        standin.add_currency(ticker, ticker.capitalize())
        standin.add_product(ticker, "USD")
    # Listed 100 days ago; listed 400 days ago; traded a year and a half ago, then from 20
    # days ago on, with 500 days without a candle between.
    standin.set_daily_candles("NEW-USD", synthetic_daily_candles(TODAY - 100 * DAY_MS, 101))
    standin.set_daily_candles("MID-USD", synthetic_daily_candles(TODAY - 400 * DAY_MS, 401))
    before_gap = synthetic_daily_candles(TODAY - 600 * DAY_MS, 80)
    after_gap = synthetic_daily_candles(TODAY - 20 * DAY_MS, 21, start_price=500)
    standin.set_daily_candles("GAP-USD", before_gap + after_gap)
    return standin


@pytest.fixture
def url(standin: CoinbaseStandin) -> Iterator[str]:
    with serve_in_thread(standin.app()) as base_url:
        yield base_url


def coinbase(url: str) -> CcxtOhlcvProvider:
    return CcxtOhlcvProvider(
        "coinbase",
        priority=1,
        configure=lambda exchange: configure_coinbase_for_standin(exchange, url),
    )


def windows(standin: CoinbaseStandin, product: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each candles request, in days before today."""
    requests = standin.control.requests_to(CANDLES.format(product))
    return [
        (
            (TODAY // 1000 - int(r.query["start"])) // 86_400,
            (TODAY // 1000 - int(r.query["end"])) // 86_400,
        )
        for r in requests
    ]


async def test_a_coin_listed_after_the_first_window_is_priced_up_to_today(
    standin: CoinbaseStandin, url: str
) -> None:
    provider = coinbase(url)
    try:
        series = await provider.fetch_daily(NEW, TODAY - 700 * DAY_MS, TODAY)
    finally:
        await provider.close()
    assert series.pair == "NEW-USD"
    assert [p["time"] * 1000 for p in series.points] == [
        TODAY - day * DAY_MS for day in range(100, -1, -1)
    ]
    assert (series.points[0]["close"], series.points[-1]["close"]) == (101.0, 201.0)
    assert windows(standin, "NEW-USD") == [(700, 400), (400, 100), (99, -201)]


async def test_a_short_window_goes_on_to_today(standin: CoinbaseStandin, url: str) -> None:
    provider = coinbase(url)
    try:
        series = await provider.fetch_daily(MID, TODAY - 500 * DAY_MS, TODAY)
    finally:
        await provider.close()
    assert len(series.points) == 401
    assert (series.points[0]["time"] * 1000, series.points[-1]["time"] * 1000) == (
        TODAY - 400 * DAY_MS,
        TODAY,
    )
    assert windows(standin, "MID-USD") == [(500, 200), (199, -101)]


async def test_a_window_without_candles_between_two_with_some_is_passed(
    standin: CoinbaseStandin, url: str
) -> None:
    provider = coinbase(url)
    try:
        series = await provider.fetch_daily(GAP, TODAY - 600 * DAY_MS, TODAY)
    finally:
        await provider.close()
    assert len(series.points) == 80 + 21
    assert series.points[-1] == {
        "time": TODAY // 1000,
        "value": 521.0,
        "open": 520.0,
        "high": 522.0,
        "low": 519.0,
        "close": 521.0,
        "volume": 30.5,
    }
    assert windows(standin, "GAP-USD") == [(600, 300), (300, 0)]


async def test_no_candle_up_to_today_is_an_empty_response_after_a_bounded_walk(
    standin: CoinbaseStandin, url: str
) -> None:
    standin.set_daily_candles("NEW-USD", [])
    provider = coinbase(url)
    try:
        with pytest.raises(EmptyResponse) as empty:
            await provider.fetch_daily(NEW, TODAY - 1000 * DAY_MS, TODAY)
    finally:
        await provider.close()
    assert str(empty.value) == "Coinbase: EmptyResponse (asset crypto:NEW)"
    assert windows(standin, "NEW-USD") == [(1000, 700), (700, 400), (400, 100), (100, -200)]
