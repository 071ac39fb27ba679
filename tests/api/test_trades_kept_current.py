"""Trades and PnL stay right however their runs fall among the ledger's other work: a refresh
before the balances pass, an asset that arrives as a run starts, a ledger that empties."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.domain.trades import run_trades_pass
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.derived import account_with_prices, wait_for_side_effects
from tests.api.importing import wait_for_task

D0 = 1704153600000  # 2024-01-02
PRICES = [("stock:AAPL", D0, 110), ("stock:AAPL", D0 + DAY_MS, 120)]
PRICES += [("stock:MSFT", D0, 20), ("stock:MSFT", D0 + DAY_MS, 20)]


async def deposit(daemon: Daemon, log_id: str, asset: str, amount: str, time: int) -> None:
    """A deposit written straight into the ledger: no side effect runs."""
    db = daemon.accounts.get("main")
    await db.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'app.generic', ?, ?, 'Broker')",
        (log_id, asset, amount, time, f"{log_id}_TX"),
    )
    await db.execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, platformId, timestamp, type, "
        "wallet) VALUES (?, ?, ?, 'app.generic', ?, 'Deposit', 'Broker')",
        (f"{log_id}_TX", asset, amount, time),
    )


async def refresh_trades(client: DaemonClient) -> None:
    task = await wait_for_task(client, await client.call("enqueueRefreshTrades", "main", "user"))
    assert task["status"] == "completed"


async def pnl(client: DaemonClient) -> list[tuple[int, str, str, str]]:
    rows = await client.call("getAccountPnL", "main")
    return [(r["timestamp"], r["positionValue"], r["deposits"], r["pnl"]) for r in rows[1:3]]


async def test_a_refresh_before_the_balances_pass_is_priced_by_the_one_after_it(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    await deposit(daemon, "aapl", "stock:AAPL", "10", D0 + 36_000_000)

    await refresh_trades(client)  # the logs have no balances yet
    assert await pnl(client) == [(D0, "0", "1100", "-1100"), (D0 + DAY_MS, "0", "1100", "-1100")]

    until = D0 + DAY_MS
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=until)
    await refresh_trades(client)

    assert await pnl(client) == [(D0, "1100", "1100", "0"), (D0 + DAY_MS, "1200", "1100", "100")]


async def test_an_asset_that_arrives_after_the_listing_was_taken_gets_its_trade(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    await deposit(daemon, "aapl", "stock:AAPL", "5", D0 + 36_000_000)
    listed = await daemon.features.assets("main").listed_ids()

    await deposit(daemon, "msft", "stock:MSFT", "1", D0 + DAY_MS + 36_000_000)
    await daemon.accounts.get("main").write(
        lambda conn: run_trades_pass(conn, listed, full=True, progress=lambda *_: None)
    )

    trades = await client.call("getTrades", "main")
    assert sorted((t["assetId"], t["balance"]) for t in trades) == [
        ("stock:AAPL", "5"),
        ("stock:MSFT", "1"),
    ]


async def test_deleting_the_last_transaction_leaves_no_trade_behind(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    deposit_ = {"incoming": "10", "incomingAsset": "stock:AAPL", "wallet": "Broker"}
    deposit_ |= {"type": "Deposit", "timestamp": D0 + 36_000_000, "platformId": "app.generic"}
    await client.call("addTransaction", deposit_, "main")
    await wait_for_side_effects(client)
    assert [t["assetId"] for t in await client.call("getTrades", "main")] == ["stock:AAPL"]

    deleted = await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_1")
    assert (await wait_for_task(client, deleted))["status"] == "completed"

    assert await client.call("getTrades", "main") == []
    assert await client.call("getAccountPnL", "main") == []
    assert await client.call("countAuditLogs", "main") == 0
