"""Which provider prices a generic CSV's fund: TEFAS when the file prices it in TRY, else Yahoo
(docs/generic-csv.md)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.derived import wait_for_side_effects
from tests.api.importing import import_file, wait_for_task
from tests.api.test_price_fetch import DAY0, DAYS, SESSION_OPEN_S, Standins, main, standins, stored
from tests.api.test_price_source_change import TEFAS_TRY, TEFAS_USD
from tests.standins.price_apis import YahooCandle

__all__ = ["main", "standins"]  # the fixtures

HEADER = "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes\n"
ON_DAY0 = datetime.fromtimestamp(DAY0 / 1000, UTC).strftime("%Y-%m-%d")


def fifty_dollars(standins: Standins, *tickers: str) -> None:
    """Yahoo prices each ticker at 50 USD every day: a TEFAS code can be a Yahoo ticker too."""
    candles = [
        YahooCandle(day // 1000 + SESSION_OPEN_S, 50.0, 50.0, 50.0, 50.0, 10) for day in DAYS
    ]
    for ticker in tickers:
        standins.yahoo.add_candles(ticker, candles)


async def import_rows(daemon: Daemon, client: DaemonClient, *rows: str) -> None:
    content = (HEADER + "".join(f"{ON_DAY0},{row}\n" for row in rows)).encode()
    task = await import_file(daemon, client, "funds.csv", content)
    assert task["status"] == "completed"
    for _ in range(600):  # until the chain the import sets off has run
        if any(t["id"] > task["id"] for t in await wait_for_side_effects(client)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import set off no refresh chain")


async def price_apis(client: DaemonClient) -> dict[str, Any]:
    return {
        asset["id"]: asset.get("priceApiId") for asset in await client.call("getMyAssets", "main")
    }


async def values(client: DaemonClient, asset_id: str) -> list[float]:
    return [price["value"] for price in await client.call("getPricesForAsset", "main", asset_id)]


async def test_a_fund_bought_in_lira_is_priced_by_tefas_and_one_bought_in_dollars_by_yahoo(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    fifty_dollars(standins, "TI4", "VTI")
    standins.tefas.add_prices("TI4", dict.fromkeys(DAYS, TEFAS_TRY))
    standins.tefas.add_prices("TI5", dict.fromkeys(DAYS, TEFAS_TRY), fund_type="EMK")  # pension

    await import_rows(
        daemon,
        main,
        "deposit,TRY,fiat,1000000,,,,,Broker,",
        "buy,TI4,fund,1,1000,TRY,,,Broker,",
        "buy,TI5,fund,1,1000,try,,,Broker,",
        "buy,VTI,fund,1,50,USD,,,Broker,",
    )

    assert await price_apis(main) == {
        "fiat:TRY": "fiat",
        "fiat:USD": "fiat",
        "fund:TI4": "tefas",
        "fund:TI5": "tefas",
        "fund:VTI": "yahoo",
    }
    assert await values(main, "fund:TI4") == TEFAS_USD
    assert await values(main, "fund:TI5") == TEFAS_USD
    assert await values(main, "fund:VTI") == [50.0] * 6
    assert {row[2:] for row in await stored(daemon, "fund:TI4")} == {("TI4-TRY", "tefas")}


async def test_a_price_api_already_chosen_is_kept(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    fifty_dollars(standins, "TI4")
    standins.tefas.add_prices("TI4", dict.fromkeys(DAYS, TEFAS_TRY))
    await main.call("patchAsset", "main", "fund:TI4", {"priceApiId": "yahoo"})

    await import_rows(daemon, main, "buy,TI4,fund,1,1000,TRY,,,Broker,")

    assert (await price_apis(main))["fund:TI4"] == "yahoo"
    assert await values(main, "fund:TI4") == [50.0] * 6


async def test_deleting_the_preferences_prices_a_fund_again_from_one_source(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    """Its choice gone, the fund is priced again by the provider the fetch picks, from its
    first day: no day keeps the price of the source it had before."""
    fifty_dollars(standins, "TI4")
    standins.tefas.add_prices("TI4", dict.fromkeys(DAYS, TEFAS_TRY))
    await import_rows(daemon, main, "buy,TI4,fund,1,1000,TRY,,,Broker,")
    assert await values(main, "fund:TI4") == TEFAS_USD

    task_id = await main.call("enqueueDeleteAssetPreferences", "main", "user")
    await wait_for_task(main, task_id)
    for _ in range(600):  # until the refetch the deletion sets off has run
        if {row[2:] for row in await stored(daemon, "fund:TI4")} == {("TI4", "yahoo")}:
            break
        await wait_for_side_effects(main)
        await asyncio.sleep(0.05)

    assert {row[2:] for row in await stored(daemon, "fund:TI4")} == {("TI4", "yahoo")}
    assert await values(main, "fund:TI4") == [50.0] * 6
