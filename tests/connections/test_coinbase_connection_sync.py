"""A Coinbase connection synced through the daemon with the real ccxt client, against the fake
Coinbase API (ES256 JWTs checked)."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import ledger_digest
from tests.connections.coinbase_scene import (
    BAD_KEY_MESSAGE,
    CONNECTION_ID,
    KEY,
    RECEIVE_AT,
    CoinbaseScene,
    T,
    coinbase_standin,
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
    transactions_of,
)
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.coinbase_records import CoinbaseFill, fiat_deposit, new_cdp_key

HOUR_MS = 3_600_000


@pytest.fixture
def coinbase(daemon: Daemon) -> Iterator[CoinbaseScene]:
    standin = coinbase_standin()
    with serve_in_thread(standin.app()) as url:
        scene = CoinbaseScene(standin, url)
        scene.point(daemon)
        yield scene


async def assert_balances_match_exchange(
    client: DaemonClient, daemon: Daemon, coinbase: CoinbaseScene, sync_task: int
) -> None:
    """The last day's computed balances equal what the stand-in holds (available + hold)."""
    wallets = coinbase.standin.accounts[KEY.name].wallets
    totals = {w.currency: Decimal(w.available) + Decimal(w.hold) for w in wallets}
    expected = {f"ex.coinbase:{code}": total for code, total in totals.items() if total}
    daily = await latest_daily_balances(client, daemon, sync_task)
    assert {asset: Decimal(value) for asset, value in daily.items()} == expected


async def test_an_account_syncs_then_adds_nothing_then_takes_a_new_fill(
    daemon: Daemon, client: DaemonClient, coinbase: CoinbaseScene
) -> None:
    [created] = await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert created == {
        "id": CONNECTION_ID,
        "connectionNumber": 1,
        "apiKey": f"{KEY.name[:4]}…{KEY.name[-4:]}",
        "options": {},
        "extensionId": "coinbase-connection",
        "platformId": "ex.coinbase",
        "timestamp": created["timestamp"],
    }
    task = await sync(client, CONNECTION_ID)
    assert (task["name"], task["status"]) == ("Sync connection #1", "completed")
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert len(await transactions_of(client, CONNECTION_ID)) == 4
    assert await cursor_of(client, CONNECTION_ID) == RECEIVE_AT + 1
    assert (await connection_of(client, CONNECTION_ID))["meta"] == {
        "assetIds": ["ex.coinbase:BTC", "ex.coinbase:ETH", "ex.coinbase:USD"],
        "logs": 7,
        "operations": ["Buy", "Deposit", "Fee", "Sell", "Withdraw"],
        "rows": 4,
        "transactions": 4,
        "wallets": ["Coinbase Spot"],
    }
    await assert_balances_match_exchange(client, daemon, coinbase, task["id"])

    before = await ledger_rows(daemon)
    again = await sync(client, CONNECTION_ID)
    assert again["status"] == "completed"
    assert await ledger_rows(daemon) == before
    assert await cursor_of(client, CONNECTION_ID) == RECEIVE_AT + 1

    fill_at = T - HOUR_MS
    account = coinbase.standin.accounts[KEY.name]
    account.fills.append(
        CoinbaseFill("trade-2", "order-2", "BTC-USD", "SELL", "31000", "0.002", "0.5", fill_at)
    )
    account.wallet("BTC").available = "0.0029"
    account.wallet("USD").available = "659.7"
    third = await sync(client, CONNECTION_ID)
    assert third["status"] == "completed"
    trade = f"{CONNECTION_ID}_TRADE_BTC-USD_trade-2"
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == [
        *expected_logs(),
        (f"{trade}_FEE", "ex.coinbase:USD", "-0.5", "Fee", fill_at),
        (f"{trade}_SELL", "ex.coinbase:BTC", "-0.002", "Sell", fill_at),
        (f"{trade}_BUY", "ex.coinbase:USD", "62", "Buy", fill_at),
    ]
    assert await cursor_of(client, CONNECTION_ID) == fill_at + 1
    await assert_balances_match_exchange(client, daemon, coinbase, third["id"])


async def test_a_bad_key_fails_the_task_clearly_and_writes_nothing(
    daemon: Daemon, client: DaemonClient, coinbase: CoinbaseScene
) -> None:
    stranger = new_cdp_key("7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817")  # the right name, another key
    await client.call("upsertConnections", ACCOUNT, [new_connection(stranger.private_pem)])
    digest = await ledger_digest(daemon)
    before = await connection_of(client, CONNECTION_ID)
    task = await sync(client, CONNECTION_ID)
    assert (task["status"], task["errorMessage"]) == ("failed", f"Error: {BAD_KEY_MESSAGE}")
    assert await ledger_digest(daemon) == digest
    assert await connection_of(client, CONNECTION_ID) == before
    assert await cursor_of(client, CONNECTION_ID) == 0
    assert coinbase.standin.rejections == ["InvalidSignatureError: Signature verification failed"]


async def test_a_rate_limited_request_is_retried_and_the_sync_completes(
    daemon: Daemon, client: DaemonClient, coinbase: CoinbaseScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    coinbase.standin.control.answer_429(1, retry_after=None)
    task = await sync(client, CONNECTION_ID)
    assert task["status"] == "completed"
    assert coinbase.standin.control.paths().count("/v2/currencies") == 2
    assert log_summaries(await logs_of(client, CONNECTION_ID)) == expected_logs()
    assert await cursor_of(client, CONNECTION_ID) == RECEIVE_AT + 1


async def test_a_fill_page_that_is_not_json_fails_the_sync_and_the_fill_comes_later(
    daemon: Daemon, client: DaemonClient, coinbase: CoinbaseScene
) -> None:
    await client.call("upsertConnections", ACCOUNT, [new_connection()])
    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    fill_at, deposit_at = T - 2 * HOUR_MS, T - HOUR_MS
    account = coinbase.standin.accounts[KEY.name]
    account.fills.append(
        CoinbaseFill("trade-2", "order-2", "BTC-USD", "SELL", "31000", "0.002", "0.5", fill_at)
    )
    account.add_transaction(fiat_deposit("dep-usd-2", "USD", "10", deposit_at))
    before = await ledger_rows(daemon)
    coinbase.standin.control.answer_raw(
        1, "<html>Gateway</html>", path="/api/v3/brokerage/orders/historical/fills"
    )

    task = await sync(client, CONNECTION_ID)
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        "Error: Coinbase sent a response that could not be read.",
    )
    assert await ledger_rows(daemon) == before
    assert await cursor_of(client, CONNECTION_ID) == RECEIVE_AT + 1

    assert (await sync(client, CONNECTION_ID))["status"] == "completed"
    ids = [log["id"] for log in await logs_of(client, CONNECTION_ID)]
    assert f"{CONNECTION_ID}_TRADE_BTC-USD_trade-2_SELL" in ids
    assert any("dep-usd-2" in log_id for log_id in ids)
    assert await cursor_of(client, CONNECTION_ID) == deposit_at + 1
