"""The compute* methods through the daemon: each answers once its work is done, with the exact
rows, the task's progress lines sent to the caller's callback, ``since`` from the cursor, from
the start or from a day in the middle, and clear errors."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.store.trades import TRADES_FULL_SQL
from tests.api.derived import account_with_prices, networth, task_log, wait_for_side_effects
from tests.api.importing import import_0xf98, import_file, wait_for_task
from tests.api.manual_entries import until
from tests.api.test_trade_fixtures import TOKENS_0XF98
from tests.shared_fixtures import expected, require_shared_fixtures

BTC, USDT = "ex.binance:BTC", "ex.binance:USDT"
D0 = 1614556800000  # 2021-03-01
D1, D2, D3 = D0 + DAY_MS, D0 + 2 * DAY_MS, D0 + 3 * DAY_MS
DEPOSIT = {
    "type": "Deposit",
    "timestamp": D0 + 1000,
    "wallet": "Spot",
    "platformId": "ex.binance",
    "incoming": "2",
    "incomingAsset": BTC,
}
SWAP = {
    "type": "Swap",
    "timestamp": D2 + 1000,
    "wallet": "Spot",
    "platformId": "ex.binance",
    "incoming": "3000",
    "incomingAsset": USDT,
    "outgoing": "0.5",
    "outgoingAsset": BTC,
    "fee": "1",
    "feeAsset": USDT,
}
ROWS = [
    {"timestamp": D0 - DAY_MS},
    {BTC: "2", "timestamp": D0},
    {BTC: "2", "timestamp": D1},
    {BTC: "1.5", USDT: "2999", "timestamp": D2},
    {BTC: "1.5", USDT: "2999", "timestamp": D3},
]


async def compute(client: DaemonClient, method: str, *params: Any) -> list[Any]:
    """Call ``method`` for "main" with a progress callback; the lines it got, in order."""
    lines: list[Any] = []
    await client.call(method, "main", *params, lines.append)
    return lines


async def last_task(client: DaemonClient, name: str) -> dict[str, Any]:
    tasks = await client.call("getServerTasks", "main")
    return dict(next(task for task in tasks if task["name"] == name))


@pytest.fixture
async def ledger(daemon: Daemon, client: DaemonClient) -> DaemonClient:
    """Two manual transactions, and the refresh chain they started, ended."""
    await client.call("createAccount", "main")
    await client.call("addTransaction", DEPOSIT, "main")
    await client.call("addTransaction", SWAP, "main")
    await wait_for_side_effects(client)
    return client


async def test_balances_rows_and_the_progress_lines_of_the_task(ledger: DaemonClient) -> None:
    lines = await compute(ledger, "computeBalances", {"since": 0, "until": D3})

    assert await ledger.call("getBalances", "main") == ROWS
    assert lines == [
        [0, "Computing balances for 4 audit logs"],
        [0, "Processing logs 1 to 4"],
        [90, "Processed 3 daily balances"],
        [96, "Filling balances to reach today"],
        [99, "Setting balances cursor to Mar 04, 2021"],
        [100, "Saved 5 records to disk"],
    ]
    task = await last_task(ledger, "Compute balances")
    assert (task["status"], task["priority"], task["trigger"]) == ("completed", 5, "user")
    assert await task_log(ledger, task["id"]) == lines
    assert await ledger.call("getValue", "main", "balancesCursor") == D3
    logs = await ledger.call("getAuditLogs", "main")
    assert [(log["id"], log["balance"]) for log in logs] == [
        ("MANUAL_2_BUY", "2999"),
        ("MANUAL_2_SELL", "1.5"),
        ("MANUAL_2_FEE", "-1"),
        ("MANUAL_1_BUY", "2"),
    ]

    paged = await compute(ledger, "computeBalances", {"since": 0, "until": D3, "pageSize": 3})
    assert paged[1:4] == [
        [0, "Processing logs 1 to 3"],
        [67, "Processed 2 daily balances"],
        [67, "Processing logs 4 to 4"],
    ]


async def test_balances_since_a_day_in_the_middle_equal_a_full_recompute(
    daemon: Daemon, ledger: DaemonClient
) -> None:
    await compute(ledger, "computeBalances", {"since": 0, "until": D3})
    await daemon.accounts.get("main").execute(  # behind the daemon's back: no invalidation
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES ('late', ?, '1', 0, 'Deposit', 'ex.binance', ?, 'Spot')",
        (BTC, D1 + 5000),
    )

    refresh = await compute(ledger, "computeBalances", {"until": D3})
    assert refresh[0] == [0, "Refreshing balances starting Mar 04, 2021"]
    assert await ledger.call("getBalances", "main") == ROWS  # the cursor is after the new log
    after_cursor = await compute(ledger, "computeBalances", {"since": D3 + 9 * DAY_MS, "until": D3})
    assert after_cursor == refresh

    middle = await compute(ledger, "computeBalances", {"since": D1 + 7000, "until": D3})
    rows, logs = await ledger.call("getBalances", "main"), await ledger.call("getAuditLogs", "main")
    await compute(ledger, "computeBalances", {"since": 0, "until": D3})

    assert middle[:2] == [
        [0, "Refreshing balances starting Mar 02, 2021"],
        [0, "Computing balances for 4 audit logs"],
    ]
    assert rows[2] == {BTC: "3", "timestamp": D1}
    assert rows == await ledger.call("getBalances", "main")
    assert logs == await ledger.call("getAuditLogs", "main")


NETWORTH_PRICES = [(BTC, D0, 100.005), (BTC, D1, 200), (BTC, D2, 300), (BTC, D3, 50)]


async def test_networth_with_known_prices(daemon: Daemon, client: DaemonClient) -> None:
    db = await account_with_prices(daemon, client, NETWORTH_PRICES)
    await db.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES ('a', ?, '0.5', 0, 'Deposit', 'ex.binance', ?, 'Spot')",
        (BTC, D0 + 1000),
    )
    await compute(client, "computeBalances", {"until": D3})
    events: list[Any] = []
    await client.call("subscribeToNetworth", "main", lambda *args: events.append(args))

    lines = await compute(client, "computeNetworth", None)

    full = [
        networth(D0 - DAY_MS, 0, 0, 0),
        networth(D0, 50, 50, 0),  # 0.5 × 100.005 = 50.0025
        networth(D1, 100, 50, 100),
        networth(D2, 150, 50, 50),
        networth(D3, 25, -125, -83.33),
    ]
    assert await client.call("getNetworth", "main") == full
    assert lines == [
        [5, "Computing networth for 5 days"],
        [10, "Computing networth starting Feb 28, 2021"],
        [95, "Saving 5 records to the database"],
        [99, "Setting networth cursor to Mar 04, 2021"],
    ]
    assert events == [()]
    assert await task_log(client, (await last_task(client, "Compute networth"))["id"]) == lines

    middle = await compute(client, "computeNetworth", D1)
    assert middle[0] == [5, "Computing networth for 3 days"]
    assert await client.call("getNetworth", "main") == full  # D1 changes against D0's row
    after_cursor = await compute(client, "computeNetworth", D3 + DAY_MS)
    assert after_cursor[0] == [5, "Computing networth for 1 days"]
    await compute(client, "computeNetworth", 0)
    assert await client.call("getNetworth", "main") == full


async def trades_ledger(daemon: Daemon, client: DaemonClient) -> None:
    """2 BTC deposited on D0, 0.5 withdrawn on D1, BTC priced on D0–D2: one open Long."""
    db = await account_with_prices(daemon, client, [(BTC, D0, 100), (BTC, D1, 110), (BTC, D2, 120)])
    await insert_logs(daemon, [("l1", "2", D0 + 1000, "t1"), ("l2", "-0.5", D1 + 1000, "t2")])
    await db.execute_many(
        "INSERT INTO transactions (id, incomingAsset, incoming, outgoingAsset, outgoing, "
        "platformId, timestamp, type, wallet) VALUES (?, ?, ?, ?, ?, 'ex.binance', ?, ?, 'Spot')",
        [
            ("t1", BTC, "2", None, None, D0 + 1000, "Deposit"),
            ("t2", None, None, BTC, "0.5", D1 + 1000, "Withdraw"),
            ("t3", BTC, "1", None, None, D0 + 5000, "Deposit"),
        ],
    )
    await compute(client, "computeBalances", {"until": D2})


async def insert_logs(daemon: Daemon, logs: list[tuple[str, str, int, str]]) -> None:
    """BTC logs ``(id, change, timestamp, txId)``, behind the daemon's back (no invalidation)."""
    await daemon.accounts.get("main").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES (?, ?, ?, 0, 'Deposit', 'ex.binance', ?, ?, 'Spot')",
        [(log_id, BTC, change, when, tx_id) for log_id, change, when, tx_id in logs],
    )


async def recomputed_trades(client: DaemonClient) -> tuple[Any, Any, list[Any]]:
    """What "Recompute trades" makes: the trades with their links, the account PnL, its log."""
    task_id = await client.call("enqueueRecomputeTrades", "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    return await trades_and_pnl(client) + (await task_log(client, task_id),)


async def trades_and_pnl(client: DaemonClient) -> tuple[Any, Any]:
    trades = await client.call("getTrades", "main", TRADES_FULL_SQL)
    return trades, await client.call("getAccountPnL", "main")


PNL_LINES = [
    [30, "Computing PnL for 1 trades"],
    [95, "Processed trade #1 (Long 2 BTC)"],
    [95, "Saving 4 records to disk"],
    [98, "Setting profit & loss cursor to Mar 03, 2021"],
    [100, "PnL computation completed"],
]


async def test_trades_and_pnl_are_what_the_recompute_task_makes(
    daemon: Daemon, client: DaemonClient
) -> None:
    await trades_ledger(daemon, client)
    trades, pnl, recompute_lines = await recomputed_trades(client)
    assert [(trade["amount"], trade["auditLogIds"]) for trade in trades] == [("2", ["l1", "l2"])]
    assert len(pnl) == 4

    lines = await compute(client, "computeTrades", 0)
    assert lines == recompute_lines
    assert lines[-5:] == PNL_LINES
    assert await trades_and_pnl(client) == (trades, pnl)
    assert await compute(client, "computePnl", 0) == PNL_LINES
    assert await trades_and_pnl(client) == (trades, pnl)
    refresh = await compute(client, "computePnl", None)
    assert refresh == [[25, "Refreshing PnL starting Mar 03, 2021"], *PNL_LINES]
    assert await task_log(client, (await last_task(client, "Compute PnL"))["id"]) == refresh


async def test_trades_since_a_log_in_the_middle_equal_a_recompute(
    daemon: Daemon, client: DaemonClient
) -> None:
    await trades_ledger(daemon, client)
    await compute(client, "computeTrades", None)
    await insert_logs(daemon, [("l3", "1", D0 + 5000, "t3")])
    await compute(client, "computeBalances", {"since": D0, "until": D2})

    refresh = await compute(client, "computeTrades", None)  # goes on after the last log
    assert refresh[:2] == [
        [0, "Refreshing trades starting Mar 02, 2021"],
        [0, "Fetching audit logs"],
    ]
    trades, _ = await trades_and_pnl(client)
    assert [trade["amount"] for trade in trades] == ["2"]

    lines = await compute(client, "computeTrades", D0 + 5000)
    computed = await trades_and_pnl(client)
    trades, pnl, recompute_lines = await recomputed_trades(client)

    assert [(trade["amount"], trade["auditLogIds"]) for trade in trades] == [
        ("3", ["l1", "l2", "l3"])
    ]
    assert computed == (trades, pnl)
    assert lines == recompute_lines


async def test_genesis_and_last_tx_are_stored_returned_and_announced(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    assert await client.call("computeGenesis", "main") == 0
    assert await client.call("computeLastTx", "main") == 0
    await client.call("addTransaction", DEPOSIT, "main")
    await client.call("addTransaction", SWAP, "main")
    await wait_for_side_effects(client)
    heard: list[Any] = []
    for key in ("genesis", "lastTx"):
        await client.call(
            "subscribeToKV", "main", key, lambda value, k=key: heard.append((k, value))
        )
    await daemon.accounts.get("main").execute(  # an older one, behind the daemon's back
        "INSERT INTO transactions (id, platformId, timestamp, type, wallet) "
        "VALUES ('old', 'ex.binance', ?, 'Deposit', 'Spot')",
        (D0 - 5 * DAY_MS,),
    )

    assert await client.call("computeGenesis", "main") == D0 - 5 * DAY_MS
    assert await client.call("computeLastTx", "main") == D2 + 1000

    await until(lambda: len(heard) == 2)
    assert heard == [("genesis", D0 - 5 * DAY_MS), ("lastTx", D2 + 1000)]
    assert await client.call("getValue", "main", "genesis") == D0 - 5 * DAY_MS
    assert await client.call("getValue", "main", "lastTx") == D2 + 1000
    task = await last_task(client, "Compute genesis")
    assert (task["status"], task["priority"]) == ("completed", 7)


async def test_calls_wait_for_the_queued_work_each_for_its_own_task(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    sleep_id = await client.call("enqueueSleep", "main", 1, 0.25)
    first = asyncio.create_task(client.call("computeGenesis", "main"))
    second = asyncio.create_task(client.call("computeGenesis", "main"))
    last_tx = asyncio.create_task(client.call("computeLastTx", "main"))
    queued: dict[str, Any] = {}
    while "Compute last transaction" not in queued:
        queued = {task["name"]: task for task in await client.call("getServerTasks", "main")}

    await client.call("cancelTask", "main", queued["Compute last transaction"]["id"])

    with pytest.raises(RpcCallError) as caught:
        await last_tx
    assert (caught.value.code, caught.value.message) == (
        -32005,
        "Compute last transaction did not finish: Task cancelled by user.",
    )
    assert await asyncio.wait_for(asyncio.gather(first, second), 10) == [0, 0]
    slept = await client.call("getServerTask", "main", sleep_id)
    tasks = await client.call("getServerTasks", "main")
    computed = [task for task in tasks if task["name"] == "Compute genesis"]
    assert [task["status"] for task in computed] == ["completed", "completed"]
    assert min(task["startedAt"] for task in computed) >= slept["completedAt"]


async def test_a_failure_is_an_error_with_the_task_message(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    await insert_logs(daemon, [("l1", "2", D0 + 1000, "t9")])

    with pytest.raises(RpcCallError) as caught:
        await client.call("computeTrades", "main")

    message = "Transaction with id t9 not found"
    assert (caught.value.code, caught.value.message) == (
        -32006,
        f"Compute trades failed: {message}",
    )
    task = await last_task(client, "Compute trades")
    assert (task["status"], task["errorMessage"]) == ("failed", f"Error: {message}")


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("computeBalances", [5], "'request' must be an object or null, not a number"),
        (
            "computeBalances",
            [{"since": "x"}],
            "'request'.since must be a number or null, not a string",
        ),
        ("computeBalances", [{"until": None}], "'request'.until must be a number, not null"),
        (
            "computeBalances",
            [{"pageSize": 1.5}],
            "'request'.pageSize must be an integer, not 1.5",
        ),
        ("computeBalances", [{"pageSize": 0}], "'request'.pageSize must be at least 1"),
        (
            "computeBalances",
            [{"until": 32_503_680_000_000}],  # the year 3000
            "'request'.until must not be after today: the days after it have no balances yet",
        ),
        (
            "computeBalances",
            [None, "x"],
            "'progress' must be a function reference or null, not a string",
        ),
        ("computeNetworth", ["x"], "'since' must be a number or null, not a string"),
        ("computeTrades", [True], "'since' must be a number or null, not a boolean"),
        ("computePnl", [[0]], "'since' must be a number or null, not an array"),
        ("computeGenesis", [1], None),
        ("computeLastTx", [{}], None),
    ],
)
async def test_bad_params_are_invalid_params(
    client: DaemonClient, method: str, params: list[Any], message: str | None
) -> None:
    await client.call("createAccount", "main")

    with pytest.raises(RpcCallError) as caught:
        await client.call(method, "main", *params)

    too_many = f"Too many params for {method}: expected at most 1, received 2"
    assert caught.value.code == -32602
    assert caught.value.message == (too_many if message is None else f"Invalid params: {message}")


@pytest.mark.parametrize(
    "method",
    [
        "computeBalances",
        "computeNetworth",
        "computeTrades",
        "computePnl",
        "computeGenesis",
        "computeLastTx",
    ],
)
async def test_an_unknown_account_is_not_found(client: DaemonClient, method: str) -> None:
    with pytest.raises(RpcCallError) as caught:
        await client.call(method, "ghost")

    assert (caught.value.code, caught.value.message) == (-32002, 'Account "ghost" does not exist')


@pytest.fixture
def fixtures() -> Path:
    return require_shared_fixtures()


async def test_coinmama_progress_lines_are_the_fixtures(
    daemon: Daemon, client: DaemonClient, fixtures: Path
) -> None:
    await client.call("createAccount", "main")
    await import_file(daemon, client, "coinmama.csv", (fixtures / "coinmama.csv").read_bytes())
    await wait_for_side_effects(client)
    sep_07, sep_14 = 1504742400000, 1505347200000

    full = await compute(client, "computeBalances", {"since": 0, "until": sep_14})
    incremental = await compute(client, "computeBalances", {"since": sep_07, "until": sep_14})

    scenario = expected(fixtures, "coinmama-balances", "scenario.json")
    assert full == scenario["step1_fullCompute"]["progress"]
    assert incremental == scenario["step2_incrementalCompute"]["progress"]
    rows = expected(fixtures, "coinmama-balances", "balances.json")["rows"]
    assert await client.call("getBalances", "main") == rows


async def test_0xf98_trades_and_pnl_progress_lines_are_the_fixtures(
    daemon: Daemon, client: DaemonClient, fixtures: Path
) -> None:
    daemon.features.asset_catalog.use_coin_list(
        [
            {"id": coin, "symbol": coin[:4], "name": coin, "platforms": {"ethereum": contract}}
            for coin, contract in TOKENS_0XF98.items()
        ]
    )
    await client.call("createAccount", "main")
    await import_0xf98(daemon, client, fixtures)
    await wait_for_side_effects(client)
    await compute(client, "computeBalances", {"since": 0, "until": 0})

    trades = await compute(client, "computeTrades", 0)
    pnl = await compute(client, "computePnl", 0)

    progress = expected(fixtures, "0xf98", "scenario.json")["progress"]["computeTrades"]
    assert trades == progress
    assert pnl == progress[progress.index([30, "Computing PnL for 4 trades"]) :]
    assert "Processed trade #2 (Long 0.21165476692904842 XDATA)" in {line[1] for line in pnl}
    rows = expected(fixtures, "0xf98", "trades.json")["rows"]
    assert await client.call("getTrades", "main", TRADES_FULL_SQL) == rows
