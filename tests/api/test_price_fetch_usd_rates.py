"""The USD rates of "Fetch asset prices": fetched once per currency for all its assets in a run,
and asked for again by each live-price request."""

import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, now_ms
from tests.api.derived import price_settings, task_log
from tests.api.importing import wait_for_task
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import LONDON, YahooCandle, YahooChartStandin

TODAY = day_start(now_ms())
DAY0 = TODAY - 5 * DAY_MS
DAYS = [DAY0 + i * DAY_MS for i in range(6)]  # DAY0 … today
FRANKFURT_OPEN_S = 8 * 3600  # 9:00 in Frankfurt (gmtoffset 1 h)
BERLIN = "Europe/Berlin"
EUR_IN_USD = [1.08, 1.09, 1.1, 1.11, 1.12, 1.13]
"""The USD rate of the euro on each of ``DAYS``, Yahoo's ``EURUSD=X``."""


def usd_rates(rates: list[float]) -> list[YahooCandle]:
    return [YahooCandle(day // 1000, r, r, r, r, 0) for day, r in zip(DAYS, rates, strict=True)]


def in_eur(base: float) -> list[YahooCandle]:
    """A close of ``base + i`` euros on the i-th of ``DAYS``."""
    return [
        YahooCandle(day // 1000 + FRANKFURT_OPEN_S, base + i, base + i, base + i, base + i, 10)
        for i, day in enumerate(DAYS)
    ]


@pytest.fixture
def yahoo() -> Iterator[YahooChartStandin]:
    standin = YahooChartStandin()
    standin.add_candles("EURUSD=X", usd_rates(EUR_IN_USD), gmtoffset=0, timezone=LONDON)
    for symbol, base in (("ALV.DE", 250.5), ("SAP.DE", 200.5), ("VOW3.DE", 100.5)):
        standin.add_candles(symbol, in_eur(base), gmtoffset=3600, currency="EUR", timezone=BERLIN)
    standin.add_candles("AAPL", in_eur(150.5))  # in USD
    yield standin


@pytest.fixture
async def main(
    daemon: Daemon, client: DaemonClient, yahoo: YahooChartStandin
) -> AsyncIterator[DaemonClient]:
    with serve_in_thread(yahoo.app()) as url:
        # One asset at a time: the order of the assets (by id) is the order they ask for rates.
        settings = price_settings(yahoo=url, timeout_s=1.0)
        daemon.price_settings = dataclasses.replace(settings, assets_per_batch=1)
        await client.call("createAccount", "main")
        yield client


async def own(daemon: Daemon, first_owned: dict[str, int]) -> None:
    """An audit log of each asset on the day given (written directly: no side effects run)."""
    rows = [
        (f"log{i}", asset_id, "1", 0, "Deposit", "stock", day + 3_600_000, "W")
        for i, (asset_id, day) in enumerate(first_owned.items())
    ]
    await daemon.accounts.get("main").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def fetch_prices(client: DaemonClient) -> str:
    task_id = await client.call("enqueueFetchPrices", "main", "user")
    task = await wait_for_task(client, task_id)
    assert task["status"] == "completed", await task_log(client, task_id)
    return str(task["status"])


async def closes(client: DaemonClient, asset_id: str) -> list[float]:
    return [p["close"] for p in await client.call("getPricesForAsset", "main", asset_id)]


def rate_requests(yahoo: YahooChartStandin) -> list[tuple[int, int]]:
    """The first and last day (ms) of each request for ``EURUSD=X`` (Yahoo is asked for a day
    more on each side)."""
    return [
        (int(r.query["period1"]) * 1000 + DAY_MS, (int(r.query["period2"]) + 1) * 1000 - 2 * DAY_MS)
        for r in yahoo.requests
        if r.path.endswith("/EURUSD=X")
    ]


async def test_the_rates_of_a_currency_are_asked_for_once_for_all_its_assets(
    daemon: Daemon, main: DaemonClient, yahoo: YahooChartStandin
) -> None:
    await own(daemon, {f"stock:{s}": DAY0 for s in ("AAPL", "ALV.DE", "SAP.DE", "VOW3.DE")})

    await fetch_prices(main)

    assert rate_requests(yahoo) == [(DAY0, TODAY)]
    assert await closes(main, "stock:ALV.DE") == [
        270.54,  # 250.5 euros at 1.08
        274.135,
        277.75,
        281.385,
        285.04,
        288.715,  # 255.5 euros at 1.13
    ]
    assert await closes(main, "stock:SAP.DE") == [
        216.54,
        219.635,
        222.75,
        225.885,
        229.04,
        232.215,
    ]
    assert await closes(main, "stock:VOW3.DE") == [
        108.54,
        110.635,
        112.75,
        114.885,
        117.04,
        119.215,
    ]
    assert await closes(main, "stock:AAPL") == [150.5, 151.5, 152.5, 153.5, 154.5, 155.5]


async def test_an_asset_owned_earlier_asks_only_for_the_rates_before_those_fetched(
    daemon: Daemon, main: DaemonClient, yahoo: YahooChartStandin
) -> None:
    await own(daemon, {"stock:ALV.DE": DAY0 + 3 * DAY_MS, "stock:SAP.DE": DAY0})

    await fetch_prices(main)

    assert rate_requests(yahoo) == [(DAY0 + 3 * DAY_MS, TODAY), (DAY0, DAY0 + 2 * DAY_MS)]
    assert await closes(main, "stock:ALV.DE") == [281.385, 285.04, 288.715]
    assert await closes(main, "stock:SAP.DE") == [
        216.54,
        219.635,
        222.75,
        225.885,
        229.04,
        232.215,
    ]


async def test_live_prices_ask_for_todays_rate_at_each_request(
    main: DaemonClient, yahoo: YahooChartStandin
) -> None:
    def live() -> object:
        return main.call("getLivePricesForAsset", "stock:SAP.DE", None, 1, "1d", None, TODAY)

    first = await live()
    yahoo.add_candles("EURUSD=X", usd_rates([*EUR_IN_USD[:-1], 1.2]), gmtoffset=0, timezone=LONDON)
    second = await live()

    assert [p["close"] for p in first] == [232.215]  # 205.5 euros at 1.13
    assert [p["close"] for p in second] == [246.6]  # at 1.2, today's rate since
    assert len(rate_requests(yahoo)) == 2
