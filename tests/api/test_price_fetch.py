"""The "Fetch asset prices" task against stand-ins of every provider, through the real clients."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date, now_ms
from tests.api.derived import price_settings, task_log
from tests.api.importing import wait_for_task
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin
from tests.standins.exchanges.binance_records import Candle, synthetic_daily_candles
from tests.standins.price_apis import (
    LONDON,
    DefiLlamaChartStandin,
    TefasHistoryStandin,
    YahooCandle,
    YahooChartStandin,
)

TODAY = day_start(now_ms())
DAY0 = TODAY - 5 * DAY_MS  # the first owned day of every asset
DAYS = [DAY0 + i * DAY_MS for i in range(6)]  # DAY0 … today
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
USDC_ID = f"chain.ethereum:{USDC}:USDC"
SESSION_OPEN_S = 14 * 3600 + 1800  # 9:30 in New York is 14:30 UTC (gmtoffset -5 h)


@dataclass
class Standins:
    binance: BinanceStandin
    yahoo: YahooChartStandin
    llama: DefiLlamaChartStandin
    tefas: TefasHistoryStandin


TRY_IN_USD = [0.0312, 0.0311, 0.031, 0.0309, 0.0308, 0.0307]
"""The USD rate of the lira on each of ``DAYS``, Yahoo's ``TRYUSD=X``."""


def usd_rates(rates: list[float]) -> list[YahooCandle]:
    """A ``<CUR>USD=X`` series on the first ``len(rates)`` of ``DAYS``, stamped at 00:00 London
    time as Yahoo does."""
    return [YahooCandle(day // 1000, r, r, r, r, 0) for day, r in zip(DAYS, rates, strict=False)]


def yahoo_candles(base: float) -> list[YahooCandle]:
    return [
        YahooCandle(
            day // 1000 + SESSION_OPEN_S,
            base + i,
            base + i + 2,
            base + i - 1,
            base + i + 1,
            1000 + i,
        )
        for i, day in enumerate(DAYS)
    ]


@pytest.fixture
def standins() -> Iterator[Standins]:
    binance = BinanceStandin()
    binance.add_market("BTC", "USDT")
    binance.add_market("ETH", "USD")
    binance.set_daily_candles("BTCUSDT", synthetic_daily_candles(DAY0 - 2 * DAY_MS, 8))
    binance.set_daily_candles("ETHUSD", synthetic_daily_candles(DAY0, 6, start_price=2000))
    yahoo = YahooChartStandin()
    yahoo.add_candles("AAPL", yahoo_candles(150))
    yahoo.add_candles("GC=F", yahoo_candles(2000))
    yahoo.add_candles("EURUSD=X", yahoo_candles(1), gmtoffset=0, timezone=LONDON)
    yahoo.add_candles("TRYUSD=X", usd_rates(TRY_IN_USD), gmtoffset=0, timezone=LONDON)
    llama = DefiLlamaChartStandin()
    llama.add_prices(
        f"ethereum:{USDC}", [(day // 1000 + 60, 1 + i / 1000) for i, day in enumerate(DAYS)]
    )
    tefas = TefasHistoryStandin()
    tefas.add_prices("TI2", {day: 1.5 + i for i, day in enumerate(DAYS)})
    yield Standins(binance, yahoo, llama, tefas)


@pytest.fixture
async def main(
    daemon: Daemon, client: DaemonClient, standins: Standins
) -> AsyncIterator[DaemonClient]:
    with (
        serve_in_thread(standins.binance.app()) as binance,
        serve_in_thread(standins.yahoo.app()) as yahoo,
        serve_in_thread(standins.llama.app()) as llama,
        serve_in_thread(standins.tefas.app()) as tefas,
    ):
        daemon.price_settings = price_settings(
            yahoo=yahoo,
            defillama=llama,
            tefas=tefas,
            exchanges={"binance": binance},
            timeout_s=1.0,
            max_retries=2,
        )
        await client.call("createAccount", "main")
        yield client


async def own(daemon: Daemon, *asset_ids: str) -> None:
    """Audit logs on DAY0 for each asset (written directly: no side-effect chain runs)."""
    rows = [
        (f"log{i}", asset_id, "1", 0, "Deposit", asset_id.split(":")[0], DAY0 + 3600_000, "W")
        for i, asset_id in enumerate(asset_ids)
    ]
    db = daemon.accounts.get("main")
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def fetch(client: DaemonClient) -> tuple[dict[str, Any], list[Any]]:
    task_id = await client.call("enqueueFetchPrices", "main", "user")
    task = await wait_for_task(client, task_id)
    return task, await task_log(client, task_id)


async def stored(daemon: Daemon, asset_id: str) -> list[tuple[Any, ...]]:
    return await daemon.accounts.get("main").fetch_all(
        "SELECT id, timestamp, pair, priceApiId FROM daily_prices WHERE assetId = ? "
        "ORDER BY timestamp",
        (asset_id,),
    )


def fetched(ticker: str, provider: str, first: int = DAY0, last: int = TODAY) -> list[Any]:
    return [
        None,
        f"Fetched {ticker} using {provider} from {human_date(first)} to {human_date(last)}",
    ]


def candle(day: int, open_: float, volume: float) -> dict[str, Any]:
    return {
        "time": day // 1000,
        "value": open_ + 1,
        "open": open_,
        "high": open_ + 2,
        "low": open_ - 1,
        "close": open_ + 1,
        "volume": volume,
    }


async def test_every_provider_writes_exact_rows_and_remembers_itself(
    daemon: Daemon, main: DaemonClient
) -> None:
    assets = ["ex.binance:BTC", "coinmama:ETH", "stock:AAPL", "metal:XAU", "fiat:EUR", "fiat:USD"]
    await own(daemon, *assets, USDC_ID, "fund.tefas:TI2", "chain.ethereum:0x1:SPAM")
    await daemon.accounts.get("main").execute(
        "INSERT INTO assets (id, symbol, coingeckoId) VALUES (?, 'USDC', 'usd-coin')", (USDC_ID,)
    )

    task, lines = await fetch(main)

    assert task["status"] == "completed"
    assert lines[:2] == [
        [1, "Fetching asset prices for 9 assets"],
        [2, "Fetching asset prices in batches of 10"],
    ]
    assert sorted(lines[2:-1], key=str) == sorted(
        [
            [None, "Skipped SPAM: No coingeckoId"],
            fetched("BTC", "Binance"),
            fetched("ETH", "Binance"),
            fetched("AAPL", "Yahoo Finance"),
            fetched("XAU", "Metals"),
            fetched("EUR", "Fiat"),
            fetched("USD", "Fiat"),
            fetched("USDC", "DefiLlama"),
            fetched("TI2", "TEFAS"),
        ],
        key=str,
    )
    assert lines[-1] == [100]
    btc = await main.call("getPricesForAsset", "main", "ex.binance:BTC")
    assert btc == [candle(day, 102.0 + i, 12.5 + i) for i, day in enumerate(DAYS)]
    assert await stored(daemon, "ex.binance:BTC") == [
        (f"ex.binance:BTC_{day}", day, "BTCUSDT", "binance") for day in DAYS
    ]
    assert await main.call("getPricesForAsset", "main", "stock:AAPL", DAYS[2]) == [
        candle(DAYS[2], 152.0, 1002.0)
    ]
    assert await main.call("getPricesForAsset", "main", "metal:XAU", None, DAYS[1], DAYS[2]) == [
        candle(DAYS[1], 2001.0, 1001.0),
        candle(DAYS[2], 2002.0, 1002.0),
    ]
    usdc = await main.call("getPricesForAsset", "main", USDC_ID)
    assert usdc == [{"time": day // 1000, "value": 1 + i / 1000} for i, day in enumerate(DAYS)]
    assert await main.call("getPricesForAsset", "main", "fund.tefas:TI2", TODAY) == [
        {"time": TODAY // 1000, "value": 0.19955}  # 6.5 TRY at 0.0307
    ]
    assert [row[2:] for row in await stored(daemon, "fiat:USD")] == [("USD-USD", "fiat")] * 6
    assert [row[2:] for row in await stored(daemon, "coinmama:ETH")] == [("ETHUSD", "binance")] * 6
    remembered = await daemon.accounts.get("main").fetch_all(
        "SELECT id, priceApiId FROM assets ORDER BY id"
    )
    assert dict(remembered) == {
        "coinmama:ETH": "binance",
        "ex.binance:BTC": "binance",
        "stock:AAPL": "yahoo",
        "metal:XAU": "metals",
        "fiat:EUR": "fiat",
        "fiat:USD": "fiat",
        USDC_ID: "defi-llama",
        "fund.tefas:TI2": "tefas",
    }
    price_map = await main.call("getAssetPriceMap", "main", DAYS[3] + 1234)
    assert next(iter(price_map)) == "USDT"
    assert price_map["USDT"] == {"time": DAYS[3] // 1000, "value": 1}
    assert price_map["ex.binance:BTC"] == candle(DAYS[3], 105.0, 15.5)
    assert len(price_map) == 9


async def test_a_chain_token_takes_its_coingecko_id_from_the_asset_lookup(
    daemon: Daemon, main: DaemonClient
) -> None:
    await own(daemon, USDC_ID)  # no stored preferences: getMyAssets shows the lookup's id

    [mine] = await main.call("getMyAssets", "main")
    task, lines = await fetch(main)

    assert mine["coingeckoId"] == "usd-coin"
    assert task["status"] == "completed"
    assert lines[2] == fetched("USDC", "DefiLlama")
    assert [row[2:] for row in await stored(daemon, USDC_ID)] == [
        (f"ethereum:{USDC}", "defi-llama")
    ] * 6


async def test_a_second_fetch_starts_at_the_latest_stored_day_with_the_remembered_provider(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await own(daemon, "coinmama:ETH")
    await fetch(main)
    standins.binance.control.clear()

    _, lines = await fetch(main)

    assert lines[2] == fetched("ETH", "Binance", first=TODAY)
    starts = [r.query["startTime"] for r in standins.binance.control.requests_to("/api/v3/klines")]
    assert starts == [str(TODAY)]


async def own_earlier(daemon: Daemon, asset_id: str, day: int) -> None:
    """One more audit log of the asset, on ``day`` (older history imported later)."""
    await daemon.accounts.get("main").execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, '1', 0, 'Deposit', 'ex', ?, 'W')",
        (f"early{day}", asset_id, day + 3600_000),
    )


def klines_starts(standins: Standins) -> list[str]:
    requests = standins.binance.control.requests_to("/api/v3/klines")
    standins.binance.control.clear()
    return [request.query["startTime"] for request in requests]


async def test_history_older_than_the_first_price_is_priced_and_asked_for_once(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await own(daemon, "ex.binance:BTC")
    await fetch(main)
    assert klines_starts(standins) == [str(DAY0)]

    await own_earlier(daemon, "ex.binance:BTC", DAY0 - 2 * DAY_MS)
    _, lines = await fetch(main)
    assert lines[2] == fetched("BTC", "Binance", first=DAY0 - 2 * DAY_MS)
    assert klines_starts(standins) == [str(DAY0 - 2 * DAY_MS)]
    days = [DAY0 + i * DAY_MS for i in range(-2, 6)]
    assert [row[1] for row in await stored(daemon, "ex.binance:BTC")] == days

    await own_earlier(daemon, "ex.binance:BTC", DAY0 - 4 * DAY_MS)  # before the first candle
    _, lines = await fetch(main)
    assert lines[2] == fetched("BTC", "Binance", first=DAY0 - 2 * DAY_MS)
    assert klines_starts(standins) == [str(DAY0 - 4 * DAY_MS)]

    await fetch(main)  # the provider had nothing older: not asked for those days again
    assert klines_starts(standins) == [str(TODAY)]
    assert [row[1] for row in await stored(daemon, "ex.binance:BTC")] == days

    await wait_for_task(main, await main.call("enqueueDeleteAssetPrices", "main", "user"))
    await fetch(main)  # with the prices, what was asked is forgotten
    assert klines_starts(standins) == [str(DAY0 - 4 * DAY_MS)]


async def test_days_without_a_stock_close_carry_the_last_one_and_net_worth_keeps_the_stock(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    # Closes on DAYS[0] ("Friday") and DAYS[3] ("Monday") only; none after it, up to today.
    standins.yahoo.add_candles(
        "SPY",
        [
            YahooCandle(DAYS[0] // 1000 + SESSION_OPEN_S, 470.5, 474.0, 469.0, 467.92, 86000),
            YahooCandle(DAYS[3] // 1000 + SESSION_OPEN_S, 468.43, 474.75, 468.3, 474.6, 74000),
        ],
    )
    await own(daemon, "stock:SPY")

    _, lines = await fetch(main)

    assert fetched("SPY", "Yahoo Finance") in lines
    prices = await main.call("getPricesForAsset", "main", "stock:SPY")
    carried = {"open": 467.92, "high": 467.92, "low": 467.92, "close": 467.92, "volume": 0.0}
    mondays = {"open": 474.6, "high": 474.6, "low": 474.6, "close": 474.6, "volume": 0.0}
    assert prices == [
        {
            "time": DAYS[0] // 1000,
            "value": 467.92,
            "open": 470.5,
            "high": 474.0,
            "low": 469.0,
            "close": 467.92,
            "volume": 86000.0,
        },
        {"time": DAYS[1] // 1000, "value": 467.92, **carried},
        {"time": DAYS[2] // 1000, "value": 467.92, **carried},
        {
            "time": DAYS[3] // 1000,
            "value": 474.6,
            "open": 468.43,
            "high": 474.75,
            "low": 468.3,
            "close": 474.6,
            "volume": 74000.0,
        },
        {"time": DAYS[4] // 1000, "value": 474.6, **mondays},
        {"time": DAYS[5] // 1000, "value": 474.6, **mondays},  # today, before the market opens
    ]
    assert [row[1] for row in await stored(daemon, "stock:SPY")] == DAYS

    await main.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await main.call("computeNetworth", "main", 0)
    values = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [values.get(day) for day in DAYS] == [467.92] * 3 + [474.6] * 3


async def test_a_close_published_late_replaces_the_carried_days_and_revalues_them(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    friday = YahooCandle(DAYS[0] // 1000 + SESSION_OPEN_S, 470.5, 474.0, 469.0, 467.92, 86000)
    standins.yahoo.add_candles("SPY", [friday])
    await own(daemon, "stock:SPY")
    await fetch(main)
    # Friday's close is carried to today.
    assert [row[1] for row in await stored(daemon, "stock:SPY")] == DAYS
    await main.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await main.call("computeNetworth", "main", 0)
    before = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [before.get(day) for day in DAYS] == [467.92] * 6

    monday = YahooCandle(DAYS[3] // 1000 + SESSION_OPEN_S, 468.43, 474.75, 468.3, 474.6, 74000)
    standins.yahoo.add_candles("SPY", [friday, monday])
    await fetch(main)

    # The fetch starts on the first carried day after Friday's close, so Monday's close,
    # published after the first fetch, replaces the days carried from Friday's.
    assert [row[1] for row in await stored(daemon, "stock:SPY")] == DAYS
    # The changed rows lowered the net worth cursor (decision 0008): a refresh from the cursor (or
    # the one the relayer queued) values them.
    await main.call("computeNetworth", "main")
    after = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [after.get(day) for day in DAYS] == [467.92] * 3 + [474.6] * 3


async def test_closes_published_late_replace_every_carried_day_since_the_last_close(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    def close(day: int, value: float) -> YahooCandle:
        return YahooCandle(day // 1000 + SESSION_OPEN_S, value, value + 1, value - 1, value, 500)

    standins.yahoo.add_candles("LATE", [close(DAYS[0], 10.0), close(DAYS[1], 11.0)])
    await own(daemon, "stock:LATE")
    await fetch(main)
    await main.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await main.call("computeNetworth", "main", 0)
    before = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [before.get(day) for day in DAYS] == [10.0] + [11.0] * 5  # DAYS[2:] carried

    # The closes of DAYS[2] and DAYS[3] are published after that fetch.
    closes = [close(day, value) for day, value in zip(DAYS, [10.0, 11.0, 12.0, 13.0], strict=False)]
    standins.yahoo.add_candles("LATE", closes)
    standins.yahoo.requests.clear()
    await fetch(main)

    prices = await main.call("getPricesForAsset", "main", "stock:LATE")
    assert [(p["time"] * 1000, p["value"], p["volume"]) for p in prices] == [
        (DAYS[0], 10.0, 500.0),
        (DAYS[1], 11.0, 500.0),
        (DAYS[2], 12.0, 500.0),
        (DAYS[3], 13.0, 500.0),
        (DAYS[4], 13.0, 0.0),
        (DAYS[5], 13.0, 0.0),
    ]
    # Asked again from the first carried day, not from the start of the history (a day more
    # on each side of a window).
    [asked] = [r.query["period1"] for r in standins.yahoo.requests]
    assert asked == str((DAYS[2] - DAY_MS) // 1000)
    await main.call("computeNetworth", "main")
    after = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [after.get(day) for day in DAYS] == [10.0, 11.0, 12.0, 13.0, 13.0, 13.0]


async def test_a_stock_carried_for_long_is_asked_again_for_its_last_30_days_only(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    delisted = TODAY - 40 * DAY_MS
    last_close = YahooCandle(delisted // 1000 + SESSION_OPEN_S, 4.0, 4.0, 4.0, 4.0, 9)
    standins.yahoo.add_candles("GONE", [last_close])
    await own_earlier(daemon, "stock:GONE", delisted)
    await fetch(main)
    assert len(await stored(daemon, "stock:GONE")) == 41
    standins.yahoo.requests.clear()

    await fetch(main)

    asked = [r.query["period1"] for r in standins.yahoo.requests]  # a day more on each side
    assert asked == [str((TODAY - 30 * DAY_MS) // 1000), str((TODAY - 40 * DAY_MS) // 1000)]


async def test_a_429_then_success_writes_the_rows(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await own(daemon, "stock:AAPL", "ex.binance:BTC")
    standins.yahoo.throttle_next(1, retry_after="0")
    standins.binance.control.answer_429(1, retry_after=0)

    task, lines = await fetch(main)

    assert task["status"] == "completed"
    assert fetched("AAPL", "Yahoo Finance") in lines
    assert fetched("BTC", "Binance") in lines
    assert len(await stored(daemon, "stock:AAPL")) == 6
    assert len(await stored(daemon, "ex.binance:BTC")) == 6
    assert len([r for r in standins.yahoo.requests if r.path == "/v8/finance/chart/AAPL"]) == 2


async def test_a_timeout_and_a_malformed_body_fail_one_asset_each_and_no_other(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await own(daemon, USDC_ID, "fund.tefas:TI2", "stock:AAPL")
    await daemon.accounts.get("main").execute(
        "INSERT INTO assets (id, symbol, coingeckoId) VALUES (?, 'USDC', 'usd-coin')", (USDC_ID,)
    )
    standins.llama.delay_s = 2.5
    standins.tefas.malformed_body = b'{"draw": 0, "data": "nope"}'

    task, lines = await fetch(main)

    assert task["status"] == "completed"
    assert [
        None,
        f"Could not fetch prices of USDC: DefiLlama: timed out after 1 s (asset {USDC_ID})",
    ] in lines
    assert [
        None,
        "Could not fetch prices of TI2: TEFAS: malformed response: no data list "
        "(asset fund.tefas:TI2)",
    ] in lines
    assert fetched("AAPL", "Yahoo Finance") in lines
    assert lines[-1] == [None, "Fetched prices for 1 of 3 assets; 2 failed: USDC, TI2"]
    assert await stored(daemon, USDC_ID) == []
    assert await stored(daemon, "fund.tefas:TI2") == []
    assert len(await stored(daemon, "stock:AAPL")) == 6


async def test_prices_in_other_currencies_are_stored_in_usd_or_not_at_all(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    london_open_s = 8 * 3600
    standins.yahoo.add_candles(
        "VOD.L",
        [
            YahooCandle(day // 1000 + london_open_s, 70.1, 71.0, 69.02, 70.5 + i, 100)
            for i, day in enumerate(DAYS)
        ],
        gmtoffset=0,
        currency="GBp",
        timezone="Europe/London",
    )
    # GBP rates on DAY0 and DAY1 only: the later days take DAY1's.
    standins.yahoo.add_candles(
        "GBPUSD=X", usd_rates([1.2715, 1.2621]), gmtoffset=0, timezone=LONDON
    )
    standins.yahoo.add_candles(
        "7203.T",
        [YahooCandle(day // 1000, 3000, 3010, 2990, 3005, 10) for day in DAYS],
        gmtoffset=9 * 3600,
        currency="JPY",
        timezone="Asia/Tokyo",
    )  # and no JPYUSD=X
    await own(daemon, "stock:VOD.L", "stock:7203.T")

    task, lines = await fetch(main)

    assert task["status"] == "completed"
    assert fetched("VOD.L", "Yahoo Finance") in lines
    assert [
        None,
        "Could not fetch prices of 7203.T: Yahoo Finance: no USD rate for JPY: HTTP 404: Not "
        "Found: No data found, symbol may be delisted (asset stock:7203.T)",
    ] in lines
    closes = [p["close"] for p in await main.call("getPricesForAsset", "main", "stock:VOD.L")]
    assert closes == [
        0.8964075,  # 70.5 pence at 1.2715
        0.9024015,  # 71.5 pence at 1.2621
        0.9150225,
        0.9276435,
        0.9402645,
        0.9528855,  # 75.5 pence at DAY1's 1.2621
    ]
    assert await main.call("getPricesForAsset", "main", "stock:VOD.L", DAY0) == [
        {
            "time": DAY0 // 1000,
            "value": 0.8964075,
            "open": 0.8913215,
            "high": 0.902765,
            "low": 0.8775893,
            "close": 0.8964075,
            "volume": 100.0,
        }
    ]
    assert await stored(daemon, "stock:7203.T") == []
    live = await main.call("getLivePricesForAsset", "stock:VOD.L", None, 2, "1d", None, TODAY)
    assert [p["close"] for p in live] == closes[-2:]


async def test_a_timestamp_and_a_range_together_are_refused(main: DaemonClient) -> None:
    with pytest.raises(Exception, match="You can only pass timestamp or start/end, not both"):
        await main.call("getPricesForAsset", "main", "stock:AAPL", TODAY, TODAY)


async def test_deleting_prices_empties_the_table(daemon: Daemon, main: DaemonClient) -> None:
    await own(daemon, "stock:AAPL")
    await fetch(main)

    task_id = await main.call("enqueueDeleteAssetPrices", "main", "user")
    task = await wait_for_task(main, task_id)

    assert (task["name"], task["status"], task["priority"]) == (
        "Delete asset prices",
        "completed",
        7,
    )
    assert await main.call("getPricesForAsset", "main", "stock:AAPL") == []
    days = {day_start(now_ms()) // 1000}
    price_map = await main.call("getAssetPriceMap", "main")
    days.add(day_start(now_ms()) // 1000)  # the call may cross midnight (UTC)
    assert price_map in [{"USDT": {"time": day, "value": 1}} for day in days]


# -- live prices (getLivePricesForAsset): asked of a provider on the spot, never stored --------


async def test_live_prices_come_from_the_named_provider_and_are_not_stored(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    btc = await main.call(
        "getLivePricesForAsset", "ex.binance:BTC", "binance", 3, "1d", None, TODAY
    )

    assert btc == [
        candle(TODAY - 2 * DAY_MS, 105.0, 15.5),
        candle(TODAY - DAY_MS, 106.0, 16.5),
        candle(TODAY, 107.0, 17.5),
    ]
    starts = [r.query["startTime"] for r in standins.binance.control.requests_to("/api/v3/klines")]
    assert starts == [str(TODAY - 2 * DAY_MS)]
    assert await stored(daemon, "ex.binance:BTC") == []
    assert await main.call("getLivePricesForAsset", "coinmama:ETH", None, 2, "1d", None, TODAY) == [
        candle(TODAY - DAY_MS, 2004.0, 14.5),
        candle(TODAY, 2005.0, 15.5),
    ]
    markets = standins.binance.control.requests_to("/api/v3/exchangeInfo")
    assert len(markets) == 1  # the exchange is kept between calls, markets loaded once


async def test_live_prices_keep_one_candle_per_day_when_the_exchange_repeats_one(
    main: DaemonClient, standins: Standins
) -> None:
    monday = 1_704_067_200_000  # 2024-01-01, a Monday
    standins.binance.add_market("DOT", "USDT")
    standins.binance.set_daily_candles(
        "DOTUSDT",
        [
            Candle(monday, "1", "2", "1", "1.5", "10"),
            Candle(monday, "1", "2", "1", "1.6", "10"),
            Candle(monday + DAY_MS, "1.6", "2", "1", "1.7", "5"),
        ],
    )
    ask = ("ex.binance:DOT", "binance", 5)

    days = await main.call("getLivePricesForAsset", *ask, "1d", monday, monday + DAY_MS)
    weeks = await main.call("getLivePricesForAsset", *ask, "1w", monday, monday + DAY_MS)

    assert days == [
        {
            "time": monday // 1000,
            "value": 1.6,
            "open": 1.0,
            "high": 2.0,
            "low": 1.0,
            "close": 1.6,
            "volume": 10.0,
        },
        {
            "time": (monday + DAY_MS) // 1000,
            "value": 1.7,
            "open": 1.6,
            "high": 2.0,
            "low": 1.0,
            "close": 1.7,
            "volume": 5.0,
        },
    ]
    assert weeks == [
        {
            "time": monday // 1000,
            "value": 1.7,
            "open": 1.0,
            "high": 2.0,
            "low": 1.0,
            "close": 1.7,
            "volume": 15.0,
        }
    ]


async def test_live_prices_grouped_into_weeks(main: DaemonClient, standins: Standins) -> None:
    monday = 1_704_067_200_000  # 2024-01-01, a Monday
    days = [monday + i * DAY_MS for i in range(10)]
    standins.yahoo.add_candles(
        "MSFT",
        [
            YahooCandle(day // 1000 + SESSION_OPEN_S, 10 + i, 12 + i, 9 + i, 11 + i, 100 + i)
            for i, day in enumerate(days)
        ],
    )

    weeks = await main.call(
        "getLivePricesForAsset", "stock:MSFT", None, 900, "1w", days[0], days[-1]
    )

    assert weeks == [
        {
            "time": monday // 1000,
            "value": 17.0,
            "open": 10.0,
            "high": 18.0,
            "low": 9.0,
            "close": 17.0,
            "volume": 721.0,  # 100 + … + 106
        },
        {
            "time": days[7] // 1000,
            "value": 20.0,
            "open": 17.0,
            "high": 21.0,
            "low": 16.0,
            "close": 20.0,
            "volume": 324.0,  # 107 + 108 + 109
        },
    ]
    assert await main.call(
        "getLivePricesForAsset", "stock:MSFT", None, 1, "1w", days[0], days[-1]
    ) == [weeks[-1]]


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (["stock:AAPL", None, 0], -32602, "limit must be between 1 and 10000, not 0"),
        (["stock:AAPL", None, 5, "1d", TODAY, DAY0], -32602, "since must not be later than until"),
        (
            ["chain.ethereum:0x1:SPAM"],
            -32002,
            "No live prices for chain.ethereum:0x1:SPAM: Skipped SPAM: No coingeckoId",
        ),
    ],
)
async def test_live_prices_refuse_what_cannot_be_asked(
    main: DaemonClient, params: list[Any], code: int, message: str
) -> None:
    with pytest.raises(RpcCallError) as caught:
        await main.call("getLivePricesForAsset", *params)
    assert (caught.value.code, caught.value.message) == (code, message)


async def test_live_prices_of_an_unknown_interval_name_the_choices(main: DaemonClient) -> None:
    with pytest.raises(RpcCallError) as caught:
        await main.call("getLivePricesForAsset", "stock:AAPL", None, 5, "1h")
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Invalid params: 'interval' must be one of '1d', '3d', '1w', '1m'",
    )


async def test_live_prices_a_failing_provider_is_named(
    main: DaemonClient, standins: Standins
) -> None:
    standins.yahoo.malformed_body = b'{"chart": {"result": "nope"}}'

    with pytest.raises(RpcCallError) as caught:
        await main.call("getLivePricesForAsset", "stock:AAPL", None, 5, "1d", None, TODAY)

    assert (caught.value.code, caught.value.message) == (
        -32004,
        "Could not fetch prices of AAPL: Yahoo Finance: malformed response: chart.result is "
        "empty (asset stock:AAPL)",
    )


async def test_usdt_held_on_binance_is_priced_at_one_and_counts_in_net_worth(
    daemon: Daemon, main: DaemonClient
) -> None:
    """Binance prices every coin in USDT and has no market pricing USDT itself."""
    await own(daemon, "ex.binance:USDT", "ex.binance:BTC")

    _, lines = await fetch(main)

    assert fetched("USDT", "Binance") in lines
    assert [row[1:] for row in await stored(daemon, "ex.binance:USDT")] == [
        (day, "USDT", "binance") for day in DAYS
    ]
    await main.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await main.call("computeNetworth", "main", 0)
    btc = {
        point["time"] * 1000: point["value"]
        for point in await main.call("getPricesForAsset", "main", "ex.binance:BTC")
    }
    values = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert [values.get(day) for day in DAYS] == [1 + btc[day] for day in DAYS]
