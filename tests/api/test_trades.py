"""Trades through the daemon with known prices: the trade, its daily PnL and the account's PnL
are exact, the task logs what it did, a recompute gives the same, and subscribers hear of it."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.relayer.cancellation import CancelToken
from tests.api.derived import account_with_prices, task_log, wait_for_side_effects
from tests.api.importing import wait_for_task

BTC = "ex.binance:BTC"
USDT = "ex.binance:USDT"
D0 = 1614556800000  # 2021-03-01
D1, D2 = D0 + DAY_MS, D0 + 2 * DAY_MS


@pytest.fixture
async def main(daemon: Daemon, client: DaemonClient) -> DaemonClient:
    db = await account_with_prices(daemon, client, [(BTC, D0, 100), (BTC, D1, 110), (BTC, D2, 120)])
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, ?, 'Spot')",
        [
            ("l1", BTC, "2", "Deposit", D0 + 1000, "t1"),
            ("l2", BTC, "-0.5", "Withdraw", D1 + 1000, "t2"),
        ],
    )
    await db.execute_many(
        "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
        "platformId, timestamp, type, wallet) VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
        [
            ("t1", BTC, "2", None, None, D0 + 1000, "Deposit"),
            ("t2", None, None, BTC, "0.5", D1 + 1000, "Withdraw"),
        ],
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D2)
    return client


def pnl(day: int, position: str, deposits: str, value: str) -> dict[str, Any]:
    return {
        "timestamp": day,
        "positionValue": position,
        "cost": "0",
        "proceeds": "0",
        "fees": "0",
        "deposits": deposits,
        "pnl": value,
    }


TRADE_ID = "4202435512"  # hash("ex.binance:BTC_1614556801000"), data-model §3.4
PNL = [
    pnl(D0 - DAY_MS, "0", "0", "0"),
    pnl(D0, "200", "200", "0"),
    pnl(D1, "165", "145", "20"),
    pnl(D2, "180", "145", "35"),
]


async def test_a_trade_its_pnl_and_the_account_pnl(main: DaemonClient) -> None:
    events: list[Any] = []
    await main.call("subscribeToTrades", "main", lambda *args: events.append(args))

    task_id = await main.call("enqueueRefreshTrades", "main", "user")
    task = await wait_for_task(main, task_id)

    assert (task["name"], task["status"]) == ("Refresh trades", "completed")
    trade = {
        "id": TRADE_ID,
        "tradeNumber": 1,
        "assetId": BTC,
        "amount": "2",
        "balance": "1.5",
        "createdAt": D0 + 1000,
        "tradeStatus": "open",
        "tradeType": "Long",
        "cost": [],
        "fees": [],
        "proceeds": [],
        "deposits": [[BTC, "2", "200", "t1", D0 + 1000], [BTC, "-0.5", "-55", "t2", D1 + 1000]],
    }
    assert await main.call("getTrades", "main") == [trade]
    assert await main.call("getTrade", "main", TRADE_ID) == trade
    assert await main.call("getTrade", "main", "nope") is None
    full = await main.call("getTradesFullQuery")
    assert await main.call("getTrades", "main", full) == [
        trade | {"txIds": ["t1", "t2"], "auditLogIds": ["l1", "l2"]}
    ]
    rows = await main.call("getTradePnL", "main", TRADE_ID)
    assert rows == [
        row | {"id": f"{TRADE_ID}_{row['timestamp']}", "tradeId": TRADE_ID} for row in PNL
    ]
    assert await main.call("getAccountPnL", "main") == PNL
    assert await main.call("getAccountPnL", "main", D1, D2) == PNL[2:]
    assert await main.call("getValue", "main", "tradePnlCursor") == D2
    assert await task_log(main, task_id) == [
        [0, "Fetching audit logs"],
        [2.5, "Processing 2 audit logs"],
        [6, "Found 1 asset groups (skipped 0 unlisted assets)"],
        [25, "Processed all trades for BTC"],
        [25, "Computed 1 trades"],
        [30, "Computing PnL for 1 trades"],
        [95, "Processed trade #1 (Long 2 BTC)"],
        [95, "Saving 4 records to disk"],
        [98, "Setting profit & loss cursor to Mar 03, 2021"],
        [100, "PnL computation completed"],
    ]
    assert events == [("created",)]

    task_id = await main.call("enqueueRecomputeTrades", "main", "user")
    assert (await wait_for_task(main, task_id))["name"] == "Recompute trades"
    assert await main.call("getTrades", "main") == [trade]
    assert await main.call("countTrades", "main") == 1
    assert await main.call("getAccountPnL", "main") == PNL


async def add_log(
    daemon: Daemon, log_id: str, change: str, timestamp: int, tx_type: str, asset: str = BTC
) -> None:
    db = daemon.accounts.get("main")
    await db.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, ?, 'Spot')",
        (log_id, asset, change, tx_type, timestamp, f"tx-{log_id}"),
    )
    side = ("incomingAsset", "incoming") if tx_type == "Deposit" else ("outgoingAsset", "outgoing")
    await db.execute(
        f"INSERT INTO transactions (id, {side[0]}, {side[1]}, platformId, timestamp, type, "
        "wallet) VALUES (?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
        (f"tx-{log_id}", asset, change.lstrip("-"), timestamp, tx_type),
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D2)


async def test_a_refresh_goes_on_after_the_last_close(daemon: Daemon, main: DaemonClient) -> None:
    await add_log(daemon, "l3", "-1.5", D2 + 1000, "Withdraw")
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    [closed] = await main.call("getTrades", "main")
    assert (closed["tradeStatus"], closed["closedAt"], closed["duration"]) == (
        "closed",
        D2 + 1000,
        2 * DAY_MS,
    )
    assert await main.call("getValue", "main", "tradesCursor") == D2 + 1000

    await add_log(daemon, "l4", "1", D2 + 5000, "Deposit")
    task_id = await main.call("enqueueRefreshTrades", "main", "user")
    await wait_for_task(main, task_id)

    lines = await task_log(main, task_id)
    assert lines[:5] == [
        [0, "Refreshing trades starting Mar 03, 2021"],
        [0, "Fetching audit logs"],
        [2.5, "Processing 1 audit logs"],
        [6, "Found 1 asset groups (skipped 0 unlisted assets)"],
        [6, "Found 0 open trades"],
    ]
    trades = await main.call("getTrades", "main")
    assert [(t["tradeNumber"], t["tradeStatus"], t["amount"]) for t in trades] == [
        (2, "open", "1"),
        (1, "closed", "2"),
    ]


async def test_a_run_announces_the_cursors_it_writes(daemon: Daemon, main: DaemonClient) -> None:
    heard: list[tuple[str, Any]] = []
    for key in ("tradesCursor", "trade_seq", "tradePnlCursor"):
        await main.call(
            "subscribeToKV", "main", key, lambda value, key=key: heard.append((key, value))
        )
    await add_log(daemon, "l3", "-1.5", D2 + 1000, "Withdraw")
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    await main.call("ping")
    assert sorted(heard) == [("tradePnlCursor", D2), ("trade_seq", 1), ("tradesCursor", D2 + 1000)]


async def test_a_cancelled_run_leaves_the_trades_as_they_were(
    daemon: Daemon, main: DaemonClient
) -> None:
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    before = await main.call("getTrades", "main", await main.call("getTradesFullQuery"))
    await add_log(daemon, "l3", "-1.5", D2 + 1000, "Withdraw")

    class CancelAtTheFirstCheck(CancelToken):
        def checkpoint(self) -> None:
            raise RuntimeError("cancelled by the test")

    with pytest.raises(RuntimeError, match="cancelled by the test"):
        await daemon.features.trades("main").recompute(lambda *_: None, CancelAtTheFirstCheck())

    assert await main.call("getTrades", "main", await main.call("getTradesFullQuery")) == before
    assert await main.call("getAccountPnL", "main") == PNL
    assert await main.call("getValue", "main", "trade_seq") == 1


async def test_a_refresh_keeps_the_rows_of_an_open_trade_after_the_cursor(
    daemon: Daemon, main: DaemonClient
) -> None:
    eth = "ex.binance:ETH"
    await add_log(daemon, "e1", "3", D0 + 500, "Deposit", eth)
    await daemon.accounts.get("main").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, 's1', 'Spot')",
        [("e-sold", eth, "-1", "Sell", D1 + 500), ("u-bought", USDT, "100", "Buy", D1 + 500)],
    )
    await daemon.accounts.get("main").execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
        "platformId, timestamp, type, wallet) VALUES "
        "('s1', ?, '100', ?, '1', 'ex.binance', ?, 'Swap', 'Spot')",
        (USDT, eth, D1 + 500),
    )
    await add_log(daemon, "e2", "4", D2 + 2000, "Deposit", eth)  # after BTC's close below
    await add_log(daemon, "l3", "-1.5", D2 + 1000, "Withdraw")
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    assert await main.call("getValue", "main", "tradesCursor") == D2 + 1000
    first = await main.call("getTrades", "main")

    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))

    assert await main.call("getTrades", "main") == first
    [open_eth] = [trade for trade in first if trade["assetId"] == eth]
    assert [row[1] for row in open_eth["deposits"]] == ["3", "4"]
    assert open_eth["proceeds"] == [[USDT, "100", "0", "1", "s1", D1 + 500]]
    # 3 − 1 + 4: the sale counts, though its row names what was received.
    assert (open_eth["balance"], open_eth["amount"]) == ("6", "6")


async def test_after_a_new_last_log_the_chain_refreshes_from_the_last_log_read(
    main: DaemonClient,
) -> None:
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    assert await main.call("getValue", "main", "tradesScanCursor") == D1 + 1000
    deposit = {
        "type": "Deposit", "timestamp": D2 + 5000, "wallet": "Spot", "platformId": "ex.binance",
        "incoming": "1", "incomingAsset": BTC,
    }  # fmt: skip
    await main.call("addTransaction", deposit, "main")
    tasks = await wait_for_side_effects(main)

    [refresh] = [t for t in tasks if (t["name"], t["trigger"]) == ("Refresh trades", "side-effect")]
    assert (await task_log(main, refresh["id"]))[:3] == [
        [0, "Refreshing trades starting Mar 02, 2021"],
        [0, "Fetching audit logs"],
        [2.5, "Processing 1 audit logs"],
    ]
    refreshed = await main.call("getTrades", "main", await main.call("getTradesFullQuery"))
    assert [(t["tradeNumber"], t["balance"], t["auditLogIds"]) for t in refreshed] == [
        (1, "2.5", ["MANUAL_1_BUY", "l1", "l2"])
    ]
    await wait_for_task(main, await main.call("enqueueRecomputeTrades", "main", "user"))
    assert await main.call("getTrades", "main", await main.call("getTradesFullQuery")) == refreshed


async def test_a_closed_trade_holds_nothing_on_its_closing_day_and_a_refresh_equals_a_recompute(
    daemon: Daemon, main: DaemonClient
) -> None:
    """The next trade of the asset, opened at the midnight after the close, is not counted in
    the closed trade's last row: that row is the same whether it was computed before the next
    trade existed (a refresh) or after (a recompute)."""
    await add_log(daemon, "l3", "-1.5", D1 + 2000, "Withdraw")
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    await add_log(daemon, "l4", "1", D2, "Deposit")
    await wait_for_task(main, await main.call("enqueueRefreshTrades", "main", "user"))
    refreshed = await main.call("getAccountPnL", "main")

    await wait_for_task(main, await main.call("enqueueRecomputeTrades", "main", "user"))

    closed, reopened = sorted(await main.call("getTrades", "main"), key=lambda t: t["createdAt"])
    assert (closed["tradeStatus"], reopened["createdAt"]) == ("closed", D2)
    closed_rows = await main.call("getTradePnL", "main", closed["id"])
    assert [row["positionValue"] for row in closed_rows] == ["0", "200", "0"]
    closing_day = pnl(D1, "0", "-20", "20")  # 200 deposited, 55 + 165 withdrawn
    assert closed_rows[-1] == closing_day | {
        "id": f"{closed['id']}_{D1}",
        "tradeId": closed["id"],
    }
    assert await main.call("getAccountPnL", "main") == refreshed
    assert refreshed[1:] == [
        pnl(D0, "200", "200", "0"),
        closing_day,
        pnl(D2, "120", "100", "20"),  # the closed trade's last row and the new trade's first
    ]


async def test_a_fee_lowers_the_pnl_once_whatever_sign_it_was_stored_with(
    daemon: Daemon, main: DaemonClient
) -> None:
    """A deposit of 1 BTC on D2 (price 120) that paid 0.1 BTC of fee, stored positive as Binance
    and manual entries store fees: the 12 USD paid is lost once, in the position."""
    db = daemon.accounts.get("main")
    await db.execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, feeAsset, fee, platformId, "
        "timestamp, type, wallet) VALUES ('t3', ?, '1', ?, '0.1', 'ex.binance', ?, 'Deposit', "
        "'Spot')",
        (BTC, BTC, D2 + 1000),
    )
    await db.execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, ?, 'ex.binance', ?, 't3', 'Spot')",
        [("l3", BTC, "1", "Deposit", D2 + 1000), ("l3f", BTC, "-0.1", "Fee", D2 + 1000)],
    )
    await daemon.derived.balances("main").recompute(lambda *_: None, CancelToken(), until=D2)

    await wait_for_task(main, await main.call("enqueueRecomputeTrades", "main", "user"))

    [trade] = await main.call("getTrades", "main")
    assert trade["fees"] == [[BTC, "0.1", "12", "t3", D2 + 1000]]  # as data-model §8.2 stores it
    assert (await main.call("getAccountPnL", "main"))[-1] == {
        "timestamp": D2,
        "positionValue": "288",  # 2.4 BTC: 2 - 0.5 + 1 - 0.1
        "cost": "0",
        "proceeds": "0",
        "fees": "-12",
        "deposits": "265",  # 200 - 55 + 120
        "pnl": "23",  # the 35 of PNL[-1], less the 12 paid
    }
