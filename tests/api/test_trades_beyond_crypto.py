"""Stocks, funds and metals have no coingeckoId, yet their positions are trades like a listed
coin's; a crypto asset without one (a spam token, say) still has none, as in Privatefolio."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.derived import account_with_prices
from tests.api.importing import wait_for_task

D0 = 1709251200000  # 2024-03-01
LOGS = [
    ("l1", "stock:AAPL", "10", "Buy", D0, "t1"),
    ("l2", "fiat:USD", "-1700", "Sell", D0, "t1"),
    ("l3", "stock:AAPL", "-4", "Sell", D0 + DAY_MS, "t2"),
    ("l4", "fiat:USD", "720", "Buy", D0 + DAY_MS, "t2"),
    ("l5", "metal:XAU", "1", "Deposit", D0, "t3"),
    ("l6", "fund:TI2", "3", "Deposit", D0, "t4"),
    ("l7", "chain.ethereum:0x1111111111111111111111111111111111111111", "5", "Deposit", D0, "t5"),
]
PRICES = {"fiat:USD": 1, "stock:AAPL": 170, "metal:XAU": 2000, "fund:TI2": 2}
TRANSACTIONS = [
    ("t1", "stock:AAPL", "10", "fiat:USD", "1700", D0, "Buy"),
    ("t2", "fiat:USD", "720", "stock:AAPL", "4", D0 + DAY_MS, "Sell"),
    ("t3", "metal:XAU", "1", None, None, D0, "Deposit"),
    ("t4", "fund:TI2", "3", None, None, D0, "Deposit"),
    ("t5", LOGS[-1][1], "5", None, None, D0, "Deposit"),
]


async def test_stocks_funds_and_metals_have_trades(daemon: Daemon, client: DaemonClient) -> None:
    db = await account_with_prices(
        daemon,
        client,
        [(asset, day, price) for asset, price in PRICES.items() for day in (D0, D0 + DAY_MS)],
    )
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'app.generic', ?, ?, 'Broker')",
        LOGS,
    )
    await db.execute_many(
        "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
        "platformId, timestamp, type, wallet) "
        "VALUES (?, ?, ?, ?, ?, 'app.generic', ?, ?, 'Broker')",
        TRANSACTIONS,
    )
    until = D0 + DAY_MS
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=until)

    task = await wait_for_task(client, await client.call("enqueueRefreshTrades", "main", "user"))

    assert task["status"] == "completed"
    trades = {trade["assetId"]: trade for trade in await client.call("getTrades", "main")}
    assert sorted(trades) == ["fund:TI2", "metal:XAU", "stock:AAPL"]
    aapl = trades["stock:AAPL"]
    assert (aapl["amount"], aapl["balance"], aapl["tradeType"], aapl["tradeStatus"]) == (
        "10", "6", "Long", "open",
    )  # fmt: skip
    assert aapl["cost"] == [["fiat:USD", "-1700", "-1700", "10", "t1", D0]]
    assert aapl["proceeds"] == [["fiat:USD", "720", "720", "4", "t2", D0 + DAY_MS]]
    assert trades["metal:XAU"]["deposits"] == [["metal:XAU", "1", "2000", "t3", D0]]
    last = (await client.call("getTradePnL", "main", aapl["id"]))[-1]
    assert (last["timestamp"], last["positionValue"], last["pnl"]) == (D0 + DAY_MS, "1020", "40")
