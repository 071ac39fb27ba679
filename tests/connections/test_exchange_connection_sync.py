"""A Binance connection synced through the daemon with the real ccxt client, against the fake
Binance API (signatures and timestamps checked)."""

import json
from decimal import Decimal
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.api.importing import ledger_digest, wait_for_task
from tests.connections.binance_scene import (
    API_KEY,
    BAD_KEY_MESSAGE,
    CONNECTION_ID,
    CONVERT_AT,
    DEPOSIT_AT,
    DUST_AT,
    WITHDRAWAL_AT,
    BinanceScene,
    T,
    add_conversions,
    expected_logs,
    new_connection,
)
from tests.connections.helpers import (
    ACCOUNT,
    connection_of,
    cursor_of,
    latest_daily_balances,
    ledger_rows,
    log_summaries,
    logs_of,
    sync,
    task_log,
    transactions_of,
)
from tests.standins.exchanges.binance_records import BinanceDeposit, BinanceTrade

HOUR_MS = 3_600_000


async def assert_balances_match_exchange(
    client: DaemonClient, daemon: Daemon, binance: BinanceScene, sync_task: int
) -> None:
    """The side effects of the sync refresh the daily balances; the last day's equal the
    account's balances on the exchange."""
    held = binance.standin.accounts[API_KEY].balances
    expected = {
        f"ex.binance:{code}": Decimal(free) + Decimal(locked)
        for code, (free, locked) in held.items()
    }
    daily = await latest_daily_balances(client, daemon, sync_task)
    assert {asset: Decimal(value) for asset, value in daily.items()} == expected


async def test_an_account_syncs_then_adds_nothing_then_takes_new_records(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    [created] = await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert created == {
        "id": CONNECTION_ID,
        "connectionNumber": 1,
        "apiKey": f"{API_KEY[:4]}…{API_KEY[-4:]}",
        "options": {},
        "extensionId": "binance-connection",
        "platformId": "ex.binance",
        "timestamp": created["timestamp"],
    }
    task = await sync(client, CONNECTION_ID)
    assert (task["name"], task["status"]) == ("Sync connection #1", "completed")
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert len(await transactions_of(client, CONNECTION_ID)) == 3
    assert await cursor_of(client, CONNECTION_ID) == WITHDRAWAL_AT + 1
    assert (await connection_of(client, CONNECTION_ID))["meta"] == {
        "assetIds": ["ex.binance:BTC", "ex.binance:USDT"],
        "logs": 6,
        "operations": ["Buy", "Deposit", "Fee", "Sell", "Withdraw"],
        "rows": 3,
        "transactions": 3,
        "wallets": ["Binance Spot"],
    }
    await assert_balances_match_exchange(client, daemon, binance, task["id"])

    before = await ledger_rows(daemon)
    again = await sync(client, CONNECTION_ID)
    assert again["status"] == "completed"
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert await cursor_of(client, CONNECTION_ID) == WITHDRAWAL_AT + 1
    assert await ledger_rows(daemon) == before

    new_deposit_at = T - HOUR_MS
    account = binance.standin.accounts[API_KEY]
    account.deposits.append(
        BinanceDeposit("dep-2", "BTC", "0.5", "BTC", "bc1qin", "tx-in-2", new_deposit_at)
    )
    account.balances["BTC"] = ("0.50999000", "0")
    third = await sync(client, CONNECTION_ID)
    assert third["status"] == "completed"
    logs = log_summaries(await logs_of(client, CONNECTION_ID))
    assert logs == [
        *expected_logs(),
        (f"{CONNECTION_ID}_DEPOSIT_BTC_dep-2", "ex.binance:BTC", "0.5", "Deposit", new_deposit_at),
    ]
    assert await cursor_of(client, CONNECTION_ID) == new_deposit_at + 1
    await assert_balances_match_exchange(client, daemon, binance, third["id"])


async def test_a_currency_sold_away_after_a_sync_is_still_read(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    """SOL bought before the first sync, all sold before the second: nothing on the exchange
    names SOL any more, but the connection's audit logs do, and the daemon passes them on."""
    standin, account = binance.standin, binance.standin.accounts[API_KEY]
    standin.add_market("SOL", "USDT")
    bought_at, sold_at = T - 3 * DAY_MS, T - HOUR_MS
    account.trades.append(
        BinanceTrade("SOLUSDT", 1, 9001, "150", "2", "0.002", "SOL", bought_at, True)
    )
    account.balances = {"BTC": ("0.00999000", "0"), "USDT": ("299", "0"), "SOL": ("1.998", "0")}
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    first = await sync(client, CONNECTION_ID)
    assert first["status"] == "completed"
    messages = [json.loads(line)[1] for line in await task_log(client, first["id"])]
    assert (
        "Read the trades of 3 Binance markets: BTC/USDT, ETH/USDT, SOL/USDT. Binance answers "
        "trades one market at a time, so only the markets of the currencies this account holds, "
        "moved in or out or traded before are read. To read another market (of a currency bought "
        "and sold away that was never deposited or withdrawn), add it to the connection's "
        '"symbols" option, e.g. ["SOL/USDT"].'
    ) in messages

    account.trades.append(
        BinanceTrade("SOLUSDT", 2, 9002, "160", "1.998", "0.31968", "USDT", sold_at, False)
    )
    account.balances = {"BTC": ("0.00999000", "0"), "USDT": ("618.36032", "0")}
    second = await sync(client, CONNECTION_ID)
    assert second["status"] == "completed"
    sale = [log for log in log_summaries(await logs_of(client, CONNECTION_ID)) if log[4] == sold_at]
    assert sorted(sale) == [
        (f"{CONNECTION_ID}_TRADE_SOLUSDT_2_BUY", "ex.binance:USDT", "319.68", "Buy", sold_at),
        (f"{CONNECTION_ID}_TRADE_SOLUSDT_2_FEE", "ex.binance:USDT", "-0.31968", "Fee", sold_at),
        (f"{CONNECTION_ID}_TRADE_SOLUSDT_2_SELL", "ex.binance:SOL", "-1.998", "Sell", sold_at),
    ]
    await assert_balances_match_exchange(client, daemon, binance, second["id"])


async def test_convert_trades_and_dust_bring_the_balances_to_the_exchange_s(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    add_conversions(binance.standin)
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    task = await sync(client, CONNECTION_ID)
    assert task["status"] == "completed"

    def log(suffix: str, asset: str, change: str, operation: str, at: int) -> tuple[Any, ...]:
        return (f"{CONNECTION_ID}_{suffix}", f"ex.binance:{asset}", change, operation, at)

    convert, dust = "CONVERT_940708407462087195", "DUST_70899815863_USDT"
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == [
        *expected_logs(),
        log(f"{convert}_SELL", "USDT", "-100", "Sell", CONVERT_AT),
        log(f"{convert}_BUY", "ETH", "0.05", "Buy", CONVERT_AT),
        log(f"{dust}_SELL", "USDT", "-0.5", "Sell", DUST_AT),
        log(f"{dust}_FEE", "BNB", "-0.00002", "Fee", DUST_AT),
        log(f"{dust}_BUY", "BNB", "0.001", "Buy", DUST_AT),
    ]
    swaps = {
        row["id"]: (row["type"], row["outgoingAsset"], row["incomingAsset"], row.get("feeAsset"))
        for row in await transactions_of(client, CONNECTION_ID)
        if row["id"].endswith((convert, dust))
    }
    assert swaps == {
        f"{CONNECTION_ID}_{convert}": ("Swap", "ex.binance:USDT", "ex.binance:ETH", None),
        f"{CONNECTION_ID}_{dust}": ("Swap", "ex.binance:USDT", "ex.binance:BNB", "ex.binance:BNB"),
    }
    assert await cursor_of(client, CONNECTION_ID) == DUST_AT + 1
    await latest_daily_balances(client, daemon, task["id"])
    held = binance.standin.accounts[API_KEY].balances
    expected = {f"ex.binance:{code}": Decimal(free) for code, (free, _) in held.items()}
    balances = await client.call("getBalancesAt", ACCOUNT)
    assert {row["assetId"]: Decimal(row["balance"]) for row in balances} == expected

    before = await ledger_rows(daemon)
    again = await sync(client, CONNECTION_ID)
    assert again["status"] == "completed"
    assert await ledger_rows(daemon) == before


async def test_a_bad_key_fails_the_task_clearly_and_writes_nothing(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection(secret="x" * 64)])
    digest = await ledger_digest(daemon)
    before = await connection_of(client, CONNECTION_ID)
    task = await sync(client, CONNECTION_ID)
    assert (task["status"], task["errorMessage"]) == ("failed", f"Error: {BAD_KEY_MESSAGE}")
    assert await ledger_digest(daemon) == digest
    assert await connection_of(client, CONNECTION_ID) == before
    assert await cursor_of(client, CONNECTION_ID) == 0


async def test_a_rate_limited_request_is_retried_and_the_sync_completes(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    binance.standin.control.answer_429(1, retry_after=None)
    task = await sync(client, CONNECTION_ID)
    assert task["status"] == "completed"
    assert binance.standin.control.paths()[:2] == ["/api/v3/exchangeInfo"] * 2
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert await cursor_of(client, CONNECTION_ID) == WITHDRAWAL_AT + 1


UNREADABLE_MESSAGE = "Error: Binance sent a response that could not be read."


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{not json", "application/json"), ("<html>Gateway</html>", "text/html"), ("", "text/html")],
)
async def test_a_trade_page_that_is_not_json_fails_the_sync_and_the_trade_comes_later(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene, body: str, content_type: str
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    trade_at, deposit_at = T - 2 * HOUR_MS, T - HOUR_MS
    account = binance.standin.accounts[API_KEY]
    account.trades.append(
        BinanceTrade("ETHUSDT", 201, 6201, "2000", "0.1", "0.2", "USDT", trade_at, True)
    )
    account.deposits.append(
        BinanceDeposit("dep-2", "USDT", "10", "ETH", "0xin", "0xtxin2", deposit_at)
    )
    before = await ledger_rows(daemon)
    binance.standin.control.answer_raw(1, body, content_type=content_type, path="/api/v3/myTrades")

    task = await sync(client, CONNECTION_ID)
    assert (task["status"], task["errorMessage"]) == ("failed", UNREADABLE_MESSAGE)
    assert await ledger_rows(daemon) == before
    assert await cursor_of(client, CONNECTION_ID) == WITHDRAWAL_AT + 1

    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    ids = [log["id"] for log in await logs_of(client, CONNECTION_ID)]
    assert f"{CONNECTION_ID}_TRADE_ETHUSDT_201_BUY" in ids
    assert f"{CONNECTION_ID}_DEPOSIT_USDT_dep-2" in ids
    assert await cursor_of(client, CONNECTION_ID) == deposit_at + 1


async def test_a_first_sync_whose_trade_page_is_not_json_fails_clearly_and_writes_nothing(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    digest = await ledger_digest(daemon)
    binance.standin.control.answer_raw(1, "{not json", path="/api/v3/myTrades")
    task = await sync(client, CONNECTION_ID)
    assert (task["status"], task["errorMessage"]) == ("failed", UNREADABLE_MESSAGE)
    assert await ledger_digest(daemon) == digest
    assert await cursor_of(client, CONNECTION_ID) == 0


async def test_reset_and_remove_take_the_synced_data_away(
    daemon: Daemon, client: DaemonClient, binance: BinanceScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", ACCOUNT, lambda *args: events.append(args))
    await client.call("subscribeToConnections", ACCOUNT, lambda *args: events.append(args))

    reset = await client.call("enqueueResetConnection", ACCOUNT, "user", CONNECTION_ID)
    task = await wait_for_task(client, reset)
    assert (task["name"], task["status"], task["priority"]) == (
        "Reset connection #1",
        "completed",
        8,
    )
    assert await logs_of(client, CONNECTION_ID) == []
    assert await transactions_of(client, CONNECTION_ID) == []
    assert await cursor_of(client, CONNECTION_ID) == 0
    reset_connection = await connection_of(client, CONNECTION_ID)
    assert reset_connection["meta"] == {
        "assetIds": [],
        "logs": 0,
        "operations": [],
        "rows": 0,
        "transactions": 0,
        "wallets": [],
    }
    assert ("deleted", DEPOSIT_AT, None) in events
    assert ("created", reset_connection) in events

    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    assert len(await logs_of(client, CONNECTION_ID)) == 6
    removal = await client.call("enqueueDeleteConnection", ACCOUNT, "user", CONNECTION_ID)
    task = await wait_for_task(client, removal)
    assert (task["name"], task["status"], task["priority"]) == (
        "Remove connection #1",
        "completed",
        9,
    )
    assert await client.call("getConnection", ACCOUNT, CONNECTION_ID) is None
    assert await client.call("getConnections", ACCOUNT) == []
    assert await logs_of(client, CONNECTION_ID) == []
    for key in ("cursor", "api_secret", "api_key"):
        assert await client.call("getValue", ACCOUNT, f"connection_{key}_{CONNECTION_ID}") is None
    assert events[-1][0] == "deleted" and events[-1][1]["id"] == CONNECTION_ID
