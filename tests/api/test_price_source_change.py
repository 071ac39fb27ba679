"""Choosing another price source for an asset: its history comes again from that source alone,
and what it valued is valued again."""

import asyncio
import dataclasses
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.derived import task_log, wait_for_side_effects
from tests.api.test_price_fetch import (
    DAYS,
    SESSION_OPEN_S,
    TODAY,
    Standins,
    fetch,
    main,
    own,
    standins,
    stored,
)
from tests.standins.price_apis import YahooCandle

__all__ = ["main", "standins"]  # the fixtures

FUND = "fund:TI4"
TEFAS_TRY = 1000.0
TEFAS_USD = [31.2, 31.1, 31.0, 30.9, 30.8, 30.7]  # TEFAS_TRY on each day of TRY_IN_USD
UNKNOWN = (
    'Unknown price API "yahooo": expected one of binance, coinbase, defi-llama, fiat, metals, '
    "tefas, yahoo, or null to let the price fetch choose"
)


@pytest.fixture(autouse=True)
def ti4(standins: Standins) -> None:
    """TI4: a TEFAS fund at 1000 TRY, and an unrelated Yahoo ticker at 50 USD."""
    candles = [
        YahooCandle(day // 1000 + SESSION_OPEN_S, 50.0, 50.0, 50.0, 50.0, 10) for day in DAYS
    ]
    standins.yahoo.add_candles("TI4", candles)
    standins.tefas.add_prices("TI4", dict.fromkeys(DAYS, TEFAS_TRY))


async def settled(client: DaemonClient) -> list[dict[str, Any]]:
    """Every task of the account, once the side-effect tasks were queued and all have ended."""
    return sorted(await wait_for_side_effects(client), key=lambda task: task["id"])


async def networth(client: DaemonClient) -> list[float]:
    rows = {row["timestamp"]: row["value"] for row in await client.call("getNetworth", "main")}
    return [rows.get(day) for day in DAYS]


async def priced_by_yahoo(daemon: Daemon, client: DaemonClient) -> None:
    await own(daemon, FUND)
    await fetch(client)
    await client.call("computeBalances", "main", {"since": 0, "until": TODAY})
    await client.call("computeNetworth", "main", 0)
    assert {row[3] for row in await stored(daemon, FUND)} == {"yahoo"}
    assert await networth(client) == [50.0] * 6


async def test_another_price_api_prices_the_whole_history_again_and_revalues_it(
    daemon: Daemon, main: DaemonClient
) -> None:
    await priced_by_yahoo(daemon, main)

    await main.call("patchAsset", "main", FUND, {"priceApiId": "tefas"})

    chained = [
        (task["name"], task["trigger"], task["status"])
        for task in await settled(main)
        if task["trigger"] == "side-effect"
    ]
    assert chained == [
        ("Fetch asset prices", "side-effect", "completed"),
        ("Refresh networth", "side-effect", "completed"),
        ("Refresh trades", "side-effect", "completed"),
    ]
    assert [row[1:] for row in await stored(daemon, FUND)] == [
        (day, "TI4-TRY", "tefas") for day in DAYS
    ]
    prices = await main.call("getPricesForAsset", "main", FUND)
    assert [price["value"] for price in prices] == TEFAS_USD
    assert await networth(main) == TEFAS_USD
    [asset] = await main.call("getMyAssets", "main")
    assert asset["priceApiId"] == "tefas"


async def test_the_same_price_api_again_keeps_the_prices(
    daemon: Daemon, main: DaemonClient
) -> None:
    await priced_by_yahoo(daemon, main)
    rows = await stored(daemon, FUND)
    tasks = await main.call("getServerTasks", "main")

    await main.call("patchAsset", "main", FUND, {"priceApiId": "yahoo", "favorite": True})

    assert await stored(daemon, FUND) == rows
    assert await main.call("getServerTasks", "main") == tasks


async def test_an_asset_patch_event_choosing_a_price_api_prices_the_history_again(
    daemon: Daemon, main: DaemonClient
) -> None:
    await priced_by_yahoo(daemon, main)
    event = {"eventId": "e1", "type": "asset.patch", "recordId": FUND}

    [result] = await main.call("submitEvents", "main", [{**event, "data": {"priceApiId": "tefas"}}])

    assert result["status"] == "applied"
    await settled(main)
    assert {row[3] for row in await stored(daemon, FUND)} == {"tefas"}
    assert await networth(main) == TEFAS_USD


async def test_a_price_api_chosen_during_a_fetch_is_not_overwritten_by_it(
    daemon: Daemon, main: DaemonClient, standins: Standins
) -> None:
    providers = dataclasses.replace(daemon.price_settings.providers, timeout_s=60.0)
    daemon.price_settings = dataclasses.replace(daemon.price_settings, providers=providers)
    await own(daemon, FUND)
    standins.yahoo.hold()
    try:
        first = await main.call("enqueueFetchPrices", "main", "user")
        # The fetch has asked Yahoo, which holds its answer.
        assert await asyncio.to_thread(standins.yahoo.holding.wait, 30)

        await main.call("patchAsset", "main", FUND, {"priceApiId": "tefas"})
    finally:
        standins.yahoo.release()

    await settled(main)
    assert [None, "Skipped TI4: its price API was changed during the fetch"] in await task_log(
        main, first
    )
    assert {row[3] for row in await stored(daemon, FUND)} == {"tefas"}
    [asset] = await main.call("getMyAssets", "main")
    assert asset["priceApiId"] == "tefas"


@pytest.mark.parametrize("price_api_id", ["yahooo", "Yahoo", "TEFAS"])
async def test_an_unknown_price_api_is_refused(
    daemon: Daemon, main: DaemonClient, price_api_id: str
) -> None:
    with pytest.raises(RpcCallError) as refused:
        await main.call("patchAsset", "main", FUND, {"priceApiId": price_api_id})

    assert refused.value.code == -32602
    assert str(refused.value) == UNKNOWN.replace('"yahooo"', f'"{price_api_id}"')
    assert await main.call("getMyAssets", "main") == []
    with pytest.raises(RpcCallError, match="Unknown price API"):
        await main.call("upsertAsset", "main", {"id": FUND, "priceApiId": price_api_id})


@pytest.mark.parametrize("price_api_id", ["alchemy", "defi-llama", "tefas", None, " "])
async def test_known_price_apis_and_none_are_stored(
    main: DaemonClient, price_api_id: str | None
) -> None:
    await main.call("patchAsset", "main", FUND, {"priceApiId": price_api_id, "favorite": True})

    [asset] = await main.call("getMyAssets", "main")
    assert asset.get("priceApiId") == ((price_api_id or "").strip() or None)
