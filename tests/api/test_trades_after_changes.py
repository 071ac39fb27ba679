"""A transaction deleted or patched, or a file import removed, after the last close: the trades
the side effects' "Refresh trades" leaves are those "Recompute trades" gives (rows, links, PnL).
A refresh once kept the open trades' rows and links of the removed logs."""

import asyncio
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from tests.api.derived import FINAL, account_with_prices
from tests.api.importing import import_file, wait_for_task

D0 = 1704153600000  # 2024-01-02
HOUR = 3_600_000
AAPL, MSFT = "stock:AAPL", "stock:MSFT"
PRICES = [(asset, D0 + day * DAY_MS, 100 + day) for asset in (AAPL, MSFT) for day in range(4)]


async def settled(client: DaemonClient, after: int) -> int:
    """Wait until a side-effect chain queued after task ``after`` ran "Refresh trades" and every
    task ended; the latest task's id."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        tasks = await client.call("getServerTasks", "main")
        chained = [t for t in tasks if t["id"] > after and t["trigger"] == "side-effect"]
        ran = any(t["name"] == "Refresh trades" for t in chained)
        if ran and all(t["status"] in FINAL for t in tasks):
            return max(t["id"] for t in tasks)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no side-effect chain ran after task {after}")


async def trades_state(daemon: Daemon) -> dict[str, Any]:
    db = daemon.accounts.get("main")
    tables = ("trades", "trade_audit_logs", "trade_transactions", "trade_pnl")
    state = {t: await db.fetch_all(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    return state | {
        "seq": await db.fetch_all("SELECT value FROM key_value WHERE key = ?", ("trade_seq",))
    }


async def recomputed(daemon: Daemon, client: DaemonClient) -> dict[str, Any]:
    task = await wait_for_task(client, await client.call("enqueueRecomputeTrades", "main", "user"))
    assert task["status"] == "completed"
    return await trades_state(daemon)


def manual(tx_type: str, hours: int, **sides: str) -> dict[str, Any]:
    return {"type": tx_type, "timestamp": D0 + hours * HOUR, "wallet": "Broker"} | {
        "platformId": "app.generic",
        **sides,
    }


async def manual_ledger(daemon: Daemon, client: DaemonClient) -> tuple[str, int]:
    """MSFT held from day 0; AAPL in on day 0, out on day 1 (the last close), and 5 in on day 3
    with a fee of 1 MSFT (returned: its id, and the latest task). A change on day 3 does not
    reach back to the close: the refresh goes on from it."""
    await account_with_prices(daemon, client, PRICES)
    for tx in (
        manual("Deposit", 10, incoming="4", incomingAsset=MSFT),
        manual("Deposit", 10, incoming="10", incomingAsset=AAPL),
        manual("Withdraw", 34, outgoing="10", outgoingAsset=AAPL),
    ):
        await client.call("addTransaction", tx, "main")
    late = manual("Deposit", 82, incoming="5", incomingAsset=AAPL, fee="1", feeAsset=MSFT)
    tx_id = await client.call("addTransaction", late, "main")
    latest = await settled(client, 0)
    trades = {t["assetId"]: t for t in await client.call("getTrades", "main")}
    assert (trades[MSFT]["balance"], len(trades[MSFT]["fees"])) == ("3", 1)
    return tx_id, latest


def summary(trades: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (t["tradeNumber"], t["assetId"], t["tradeStatus"], t["balance"], len(t["fees"]))
        for t in trades
    )


async def test_deleting_a_transaction_after_the_last_close(
    daemon: Daemon, client: DaemonClient
) -> None:
    """The deleted deposit had opened AAPL's trade #3, and its fee was MSFT's only log after the
    close: both trades go back to what they were at the close."""
    tx_id, _ = await manual_ledger(daemon, client)

    deleted = await client.call("enqueueDeleteTransaction", "main", "user", tx_id)
    await settled(client, deleted)

    assert summary(await client.call("getTrades", "main")) == [
        (1, MSFT, "open", "4", 0),
        (2, AAPL, "closed", "0", 0),
    ]
    orphans = await daemon.accounts.get("main").fetch_all(
        "SELECT * FROM trade_audit_logs WHERE audit_log_id NOT IN (SELECT id FROM audit_logs)"
    )
    assert orphans == []
    refreshed = await trades_state(daemon)
    assert refreshed == await recomputed(daemon, client)


async def test_patching_the_fee_asset_of_a_transaction_after_the_last_close(
    daemon: Daemon, client: DaemonClient
) -> None:
    """The fee log keeps its id and moves to AAPL: MSFT's trade no longer has it."""
    tx_id, latest = await manual_ledger(daemon, client)

    await client.call("patchTransaction", "main", tx_id, {"feeAsset": AAPL})
    await settled(client, latest)

    assert summary(await client.call("getTrades", "main")) == [
        (1, MSFT, "open", "4", 0),
        (2, AAPL, "closed", "0", 0),
        (3, AAPL, "open", "4", 1),
    ]
    refreshed = await trades_state(daemon)
    assert refreshed == await recomputed(daemon, client)


HEADER = "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes\n"


async def test_removing_a_file_import_after_the_last_close(
    daemon: Daemon, client: DaemonClient
) -> None:
    await account_with_prices(daemon, client, PRICES)
    first = HEADER + "2024-01-02,deposit,AAPL,stock,1,,,,,Broker,\n"
    first += "2024-01-03,withdraw,AAPL,stock,1,,,,,Broker,\n"
    await import_file(daemon, client, "a.csv", first.encode())
    latest = await settled(client, 0)
    later = await import_file(
        daemon, client, "b.csv", (HEADER + "2024-01-04,deposit,AAPL,stock,5,,,,,Broker,\n").encode()
    )
    latest = await settled(client, max(latest, later["id"]))
    assert summary(await client.call("getTrades", "main")) == [
        (1, AAPL, "closed", "0", 0),
        (2, AAPL, "open", "5", 0),
    ]

    imports = await client.call("getFileImports", "main")
    b_csv = next(record["id"] for record in imports if record["name"] == "b.csv")
    removal = await client.call("enqueueRemoveFileImport", "main", "user", b_csv)
    await settled(client, removal)

    assert summary(await client.call("getTrades", "main")) == [(1, AAPL, "closed", "0", 0)]
    refreshed = await trades_state(daemon)
    assert refreshed == await recomputed(daemon, client)


async def test_patching_the_type_of_an_imported_transaction(
    daemon: Daemon, client: DaemonClient
) -> None:
    """Deposits are deposit rows; as a Reward and a Gift they are not, and the day's PnL counts
    the position as gained."""
    await account_with_prices(daemon, client, PRICES)
    rows = HEADER + "2024-01-02 14:30:00,deposit,AAPL,stock,10,,,,,Broker,\n"
    rows += "2024-01-03 14:30:00,withdraw,AAPL,stock,10,,,,,Broker,\n"
    rows += "2024-01-04 14:30:00,deposit,AAPL,stock,3,,,,,Broker,\n"
    imported = await import_file(daemon, client, "a.csv", rows.encode())
    latest = await settled(client, imported["id"])
    txs = sorted(await client.call("getTransactions", "main"), key=lambda tx: tx["timestamp"])

    await client.call("patchTransaction", "main", txs[2]["id"], {"type": "Gift"})
    latest = await settled(client, latest)
    trades = sorted(await client.call("getTrades", "main"), key=lambda t: t["tradeNumber"])
    assert [len(t["deposits"]) for t in trades] == [2, 0]
    assert await trades_state(daemon) == await recomputed(daemon, client)

    await client.call("patchTransaction", "main", txs[0]["id"], {"type": "Reward"})
    await settled(client, latest)
    trades = sorted(await client.call("getTrades", "main"), key=lambda t: t["tradeNumber"])
    assert [[row[1] for row in t["deposits"]] for t in trades] == [["-10"], []]
    day = next(r for r in await client.call("getAccountPnL", "main") if r["timestamp"] == D0)
    assert (day["deposits"], day["pnl"]) == ("0", "1000")
    assert await trades_state(daemon) == await recomputed(daemon, client)
