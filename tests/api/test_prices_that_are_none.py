"""Garbage from a price provider (a NaN, 1e308, a price out of range once in USD) is not stored:
the fetch says which day of which asset it skipped, a market that closes carries the last close
into that day, and the balances, the net worth and the trades are computed as on any other day.
A price an older version stored as ``{"value": null}`` (or 0, or 1e308) reads as no price, and
the next fetch asks for that day again, however old; a day it still has no price for is asked
for that once."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS, human_date
from tests.api.derived import wait_for_side_effects
from tests.api.test_price_fetch import (
    DAY0,
    DAYS,
    TODAY,
    Standins,
    fetch,
    fetched,
    klines_starts,
    main,
    standins,
    stored,
    yahoo_candles,
)
from tests.standins.exchanges.binance_records import Candle, synthetic_daily_candles
from tests.standins.price_apis import LONDON, YahooCandle

__all__ = ["main", "standins"]  # the fixtures

TI2 = "fund.tefas:TI2"
TI2_TRY = [1.5, 2.5, "NaN", 4.5, 5.5, 6.5]
TI2_USD = [0.0468, 0.07775, 0.07775, 0.13905, 0.1694, 0.19955]
"""``TI2_TRY`` × the day's rate (``test_price_fetch.TRY_IN_USD``); the day of NaN carries the
day before it."""


async def hold(daemon: Daemon, asset_id: str, amount: str) -> None:
    """``amount`` of the asset deposited on DAY0 (written directly: no side-effect chain runs)."""
    await daemon.accounts.get("main").execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, 0, 'Deposit', ?, ?, 'W')",
        (f"log-{asset_id}", asset_id, amount, asset_id.split(":")[0], DAY0 + 3600_000),
    )


async def compute_everything(client: DaemonClient) -> dict[int, float]:
    """Balances, net worth and trades computed from the start; the net worth by day."""
    await client.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await client.call("computeNetworth", "main", 0)
    await client.call("computeTrades", "main", 0)
    return {row["timestamp"]: row["value"] for row in await client.call("getNetworth", "main")}


async def balances_at(client: DaemonClient, day: int) -> list[dict[str, Any]]:
    return [
        {key: balance[key] for key in ("assetId", "balance", "price", "value") if key in balance}
        for balance in await client.call("getBalancesAt", "main", day + 1000)
    ]


def skipped(provider: str, day: int, problem: str, asset_id: str) -> list[Any]:
    return [
        None,
        f"{provider}: skipped the price of {human_date(day)}: {problem} (asset {asset_id})",
    ]


async def test_a_fund_price_of_nan_carries_the_day_before_and_the_fund_keeps_its_value(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    standins.tefas.add_prices("TI2", dict(zip(DAYS, TI2_TRY, strict=True)))
    await hold(daemon, TI2, "1000")

    _, lines = await fetch(main)

    assert skipped("TEFAS", DAYS[2], "NaN is not a finite number", TI2) in lines
    assert fetched("TI2", "TEFAS") in lines
    prices = await main.call("getPricesForAsset", "main", TI2)
    assert [(price["time"] * 1000, price["value"]) for price in prices] == list(
        zip(DAYS, TI2_USD, strict=True)
    )
    networth = await compute_everything(main)
    assert [networth[day] for day in DAYS] == [46.8, 77.75, 77.75, 139.05, 169.4, 199.55]
    assert await balances_at(main, DAYS[2]) == [
        {
            "assetId": TI2,
            "balance": "1000",
            "price": {"time": DAYS[2] // 1000, "value": 0.07775},
            "value": 77.75,
        }
    ]


async def test_a_price_stored_as_null_by_an_older_version_is_no_price_and_is_fetched_again(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    standins.tefas.add_prices("TI2", {day: 1.5 + i for i, day in enumerate(DAYS)})
    await hold(daemon, TI2, "1000")
    await fetch(main)
    await daemon.accounts.get("main").execute(
        "UPDATE daily_prices SET price = ? WHERE assetId = ? AND timestamp = ?",
        (f'{{"time":{DAYS[2] // 1000},"value":null}}', TI2, DAYS[2]),
    )

    networth = await compute_everything(main)

    assert networth[DAYS[2]] == 0  # the fund had no price that day
    assert await balances_at(main, DAYS[2]) == [{"assetId": TI2, "balance": "1000"}]

    _, lines = await fetch(main)
    await wait_for_side_effects(main)  # the net worth refresh the new price sets off

    assert fetched("TI2", "TEFAS", first=DAYS[2]) in lines
    [(price,)] = await daemon.accounts.get("main").fetch_all(
        "SELECT price FROM daily_prices WHERE assetId = ? AND timestamp = ?", (TI2, DAYS[2])
    )
    assert price == f'{{"time":{DAYS[2] // 1000},"value":0.1085}}'
    values = {row["timestamp"]: row["value"] for row in await main.call("getNetworth", "main")}
    assert values[DAYS[2]] == 108.5


async def test_a_stock_close_of_1e308_is_skipped_and_the_refreshes_go_through(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    candles = yahoo_candles(150)  # closes 151, 152, … on DAYS
    candles[2] = YahooCandle(candles[2].timestamp, 152.0, 153.0, 151.0, 1e308, 1000)
    standins.yahoo.add_candles("AAPL", candles)
    await hold(daemon, "stock:AAPL", "10")

    _, lines = await fetch(main)

    problem = "1e+308 has more than 80 digits before the point"
    assert skipped("Yahoo Finance", DAYS[2], problem, "stock:AAPL") in lines
    networth = await compute_everything(main)
    assert [networth[day] for day in DAYS] == [1510, 1520, 1520, 1540, 1550, 1560]
    [trade] = await main.call("getTrades", "main")
    pnl = await main.call("getTradePnL", "main", trade["id"])
    assert [row["positionValue"] for row in pnl[-4:]] == ["1520", "1540", "1550", "1560"]


async def test_an_exchange_candle_closing_at_nan_leaves_that_day_unpriced(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    candles = [Candle(day, "100", "102", "99", "101", "10") for day in DAYS]
    candles[2] = Candle(DAYS[2], "100", "NaN", "99", "NaN", "10")
    standins.binance.set_daily_candles("BTCUSDT", candles)
    await hold(daemon, "ex.binance:BTC", "2")

    _, lines = await fetch(main)

    assert skipped("Binance", DAYS[2], "NaN is not a finite number", "ex.binance:BTC") in lines
    assert [row[1] for row in await stored(daemon, "ex.binance:BTC")] == DAYS[:2] + DAYS[3:]
    networth = await compute_everything(main)
    assert [networth[day] for day in DAYS] == [202, 202, 0, 202, 202, 202]
    assert await balances_at(main, DAYS[2]) == [{"assetId": "ex.binance:BTC", "balance": "2"}]


async def test_a_price_out_of_range_once_in_usd_is_skipped(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """The provider's own price is in range, but not in USD: the fetch skips it itself."""
    kuwait_open = 6 * 3600  # 9:00 in Kuwait
    standins.yahoo.add_candles(
        "NBK.KW",
        [
            YahooCandle(DAYS[4] // 1000 + kuwait_open, 1.0, 1.0, 1.0, 1.0, 5),
            YahooCandle(TODAY // 1000 + kuwait_open, 1.0, 1.0, 1.0, 5e79, 5),
        ],
        gmtoffset=3 * 3600,
        currency="KWD",
        timezone="Asia/Kuwait",
    )
    rates = [YahooCandle(day // 1000, 3.25, 3.25, 3.25, 3.25, 0) for day in DAYS]
    standins.yahoo.add_candles("KWDUSD=X", rates, gmtoffset=0, timezone=LONDON)
    await hold(daemon, "stock:NBK.KW", "1")

    _, lines = await fetch(main)

    problem = "1.625e+80 has more than 80 digits before the point"
    assert skipped("Yahoo Finance", TODAY, problem, "stock:NBK.KW") in lines
    assert fetched("NBK.KW", "Yahoo Finance", first=DAYS[4], last=DAYS[4]) in lines
    prices = await main.call("getPricesForAsset", "main", "stock:NBK.KW")
    assert [(price["time"] * 1000, price["value"]) for price in prices] == [(DAYS[4], 3.25)]


LONG_AGO = TODAY - 40 * DAY_MS
"""Older than the last 30 stored days, which a fetch looks at for closes published late."""


async def btc_held_since_long_ago(
    daemon: Daemon, main: DaemonClient, standins: Standins, candles: list[Candle]
) -> None:
    """BTC held since ``LONG_AGO``, its prices fetched from Binance's ``candles``."""
    standins.binance.set_daily_candles("BTCUSDT", candles)
    await daemon.accounts.get("main").execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES ('btc', 'ex.binance:BTC', '1', 0, 'Deposit', 'ex', ?, 'W')",
        (LONG_AGO + 3600_000,),
    )
    await fetch(main)
    klines_starts(standins)  # forgets the first fetch's requests


async def store_price(client: DaemonClient, day: int, value: str) -> None:
    """What an older version stored for a price it did not check, written with ``executeSql``."""
    await client.call(
        "executeSql",
        "main",
        "INSERT OR REPLACE INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES (?, 'ex.binance:BTC', ?, ?, 'BTCUSDT', 'binance')",
        [f"ex.binance:BTC_{day}", day, f'{{"time":{day // 1000},"value":{value}}}'],
    )


async def closes(client: DaemonClient, *days: int) -> list[float | None]:
    prices = await client.call("getPricesForAsset", "main", "ex.binance:BTC")
    by_day = {price["time"] * 1000: price["value"] for price in prices}
    return [by_day.get(day) for day in days]


async def test_prices_that_are_none_older_than_the_last_30_days_are_fetched_again(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    await btc_held_since_long_ago(daemon, main, standins, synthetic_daily_candles(LONG_AGO, 41))
    days = [LONG_AGO, LONG_AGO + 2 * DAY_MS, LONG_AGO + 5 * DAY_MS]
    assert await closes(main, *days) == [101.0, 103.0, 106.0]
    for day, value in zip(days, ["null", "0", "1e308"], strict=True):
        await store_price(main, day, value)
    assert await closes(main, *days) == [None, 0, 1e308]

    _, lines = await fetch(main)

    assert fetched("BTC", "Binance", first=LONG_AGO) in lines
    assert klines_starts(standins) == [str(LONG_AGO)]
    assert await closes(main, *days) == [101.0, 103.0, 106.0]
    await fetch(main)  # every day has its price again: asked from the latest one only
    assert klines_starts(standins) == [str(TODAY)]


async def test_a_day_whose_price_is_none_and_stays_so_is_asked_for_once(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    candles = synthetic_daily_candles(LONG_AGO, 41)
    missing = LONG_AGO + 3 * DAY_MS
    await btc_held_since_long_ago(daemon, main, standins, candles[:3] + candles[4:])
    await store_price(main, missing, "null")

    await fetch(main)

    assert klines_starts(standins) == [str(missing)]
    assert missing not in [row[1] for row in await stored(daemon, "ex.binance:BTC")]
    assert len(await stored(daemon, "ex.binance:BTC")) == 40
    await fetch(main)
    assert klines_starts(standins) == [str(TODAY)]
