"""A connection saved while its sync runs: the sync, which read it before, saves what it fetched
but leaves the cursor where the save put it, so the next sync reads everything again with what
was saved (README, "Which Binance markets are read")."""

import asyncio
from decimal import Decimal

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.api.importing import wait_for_task
from tests.connections.binance_scene import (
    API_KEY,
    CONNECTION_ID,
    TRADE_AT,
    WITHDRAWAL_AT,
    BinanceScene,
    new_connection,
)
from tests.connections.helpers import (
    ACCOUNT,
    cursor_of,
    latest_daily_balances,
    logs_of,
    sync,
    task_log,
)
from tests.standins.exchanges.binance_records import BinanceTrade
from tests.standins.exchanges.control import Hold


def trade_sol_away(binance: BinanceScene) -> None:
    """2 SOL bought at 100 USDT and sold at 150, never deposited: no sync reads SOLUSDT unless
    the connection names it. The account ends with 100 USDT more."""
    binance.standin.add_market("SOL", "USDT")
    account = binance.standin.accounts[API_KEY]
    account.trades += [
        BinanceTrade("SOLUSDT", 301, 5301, "100", "2", "0", "USDT", TRADE_AT + DAY_MS, True),
        BinanceTrade("SOLUSDT", 302, 5302, "150", "2", "0", "USDT", TRADE_AT + 2 * DAY_MS, False),
    ]
    account.balances = {"BTC": ("0.00999000", "0"), "USDT": ("699.00000000", "0")}


async def test_saving_the_connection_during_its_sync_keeps_the_cursor_at_the_start(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    trade_sol_away(binance)
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    assert await cursor_of(client, CONNECTION_ID) == WITHDRAWAL_AT + 1
    hold = binance.standin.control.hold = Hold()
    try:
        running = await client.call("enqueueSyncConnection", ACCOUNT, "user", CONNECTION_ID)
        assert await asyncio.to_thread(hold.arrived.wait, 30)  # it has read the connection
        with_sol = new_connection() | {"options": {"symbols": ["SOL/USDT"]}}
        await client.call("upsertConnections", ACCOUNT, [with_sol])
        assert await cursor_of(client, CONNECTION_ID) == 0
    finally:
        binance.standin.control.hold = None
        hold.released.set()

    assert (await wait_for_task(client, running))["status"] == "completed"
    assert await cursor_of(client, CONNECTION_ID) == 0
    assert (await task_log(client, running))[-2] == (
        '[null,"The connection was saved again during this sync: its next sync reads '
        'everything again"]'
    )

    last = await sync(client, CONNECTION_ID)
    assert {log["id"] for log in await logs_of(client, CONNECTION_ID)} >= {
        f"{CONNECTION_ID}_TRADE_SOLUSDT_301_BUY",
        f"{CONNECTION_ID}_TRADE_SOLUSDT_302_SELL",
    }
    daily = await latest_daily_balances(client, daemon, last["id"])
    assert Decimal(daily["ex.binance:USDT"]) == Decimal(699)
