"""A task cancelled as its write commits completes, and tells its subscribers, instead of reading
"aborted" over work that is done; one cancelled before its commit leaves nothing done."""

import asyncio
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, ledger_digest, wait_for_task
from tests.api.manual_entries import SWAP
from tests.api.test_import_errors import GOOD_ROW, statement
from tests.writer_trap import cancel_on_writer

ROWS = (
    GOOD_ROW,
    '"1","2021-03-02 10:00:00","Spot","Buy","ETH","2",""',
    '"1","2021-03-02 10:00:00","Spot","Sell","BTC","-0.1",""',
    '"1","2021-03-05 10:00:00","Spot","Sell","ETH","-1",""',
    '"1","2021-03-05 10:00:00","Spot","Buy","BTC","0.05",""',
)
BUSY = "SELECT * FROM server_tasks WHERE status IN ('queued', 'running')"
CHAIN_DONE = (
    "SELECT * FROM server_tasks WHERE name = 'Refresh trades' AND trigger = 'side-effect' "
    "AND status IN ('completed', 'failed')"
)


async def settled(client: DaemonClient) -> None:
    """Wait until the refresh chain of what was written so far has run, and nothing is left."""
    chain = await client.call("getServerTasks", "main", CHAIN_DONE)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while await client.call("getServerTasks", "main", CHAIN_DONE) == chain or await client.call(
        "getServerTasks", "main", BUSY
    ):
        assert loop.time() < deadline, "the refresh chain did not end"
        await asyncio.sleep(0.05)


@pytest.fixture
async def ledger(daemon: Daemon, client: DaemonClient) -> None:
    """A statement imported and its refresh chain run."""
    await client.call("createAccount", "main")
    assert (await import_file(daemon, client, "s.csv", statement(*ROWS)))["status"] == "completed"
    await settled(client)


TASKS = [
    ("enqueueRecomputeBalances", "subscribeToBalances", ()),
    ("enqueueDeleteBalances", "subscribeToBalances", ()),
    ("enqueueRecomputeNetworth", "subscribeToNetworth", ()),
    ("enqueueRecomputeTrades", "subscribeToTrades", ("created",)),  # computed aside, swapped in
    ("enqueueRefreshTrades", "subscribeToTrades", ("created",)),  # computed on the writer
    ("enqueueDeleteAssetPrices", "subscribeToDailyPrices", ()),
    ("enqueueDeleteAssetPreferences", "subscribeToMetadata", ()),
    ("enqueueDetectSpamTransactions", "subscribeToTransactions", ("updated",)),
    ("enqueueAutoMerge", None, None),  # nothing to merge here, so nothing to announce
]


@pytest.mark.parametrize(("method", "channel", "announced"), TASKS)
async def test_a_task_cancelled_as_it_commits_completes_and_announces_it(
    daemon: Daemon,
    client: DaemonClient,
    ledger: None,
    method: str,
    channel: str | None,
    announced: tuple[Any, ...] | None,
) -> None:
    events: list[tuple[Any, ...]] = []
    if channel is not None:
        await client.call(channel, "main", lambda *args: events.append(args))

    async with cancel_on_writer(daemon, client, "main") as trap:
        task_id = await client.call(method, "main", "user")
        task = await wait_for_task(client, task_id)

    assert trap.cancelled == task_id
    assert (task["status"], task.get("errorMessage")) == ("completed", None)
    assert announced is None or announced in events


async def test_a_compaction_cancelled_once_its_vacuum_ran_completes(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    async with cancel_on_writer(
        daemon, client, "main", after="VACUUM", at="PRAGMA wal_checkpoint"
    ) as trap:
        task_id = await client.call("enqueueCompactDatabase", "main", "user")
        task = await wait_for_task(client, task_id)

    assert trap.cancelled == task_id
    assert (task["status"], task.get("errorMessage")) == ("completed", None)


async def test_the_genesis_computed_as_its_task_is_cancelled_is_answered_and_announced(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    events: list[Any] = []
    await client.call("subscribeToKV", "main", "genesis", events.append)

    async with cancel_on_writer(daemon, client, "main", at="INSERT OR REPLACE INTO key_value"):
        genesis = await client.call("computeGenesis", "main")

    assert genesis == 1614592800000  # 2021-03-01 10:00 UTC, the first row's
    assert events == [genesis]


async def test_the_pnl_computed_as_its_task_is_cancelled_is_answered_and_announced(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToPnl", "main", lambda *args: events.append(args))

    async with cancel_on_writer(daemon, client, "main"):
        await client.call("computePnl", "main", 0)

    assert events == [("updated",)]


async def test_an_export_cancelled_as_it_completes_hands_over_its_file(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    async with cancel_on_writer(daemon, client, "main", after="INTO server_files", at="UPDATE"):
        record = await client.call("enqueueExportTransactions", "main", "user")

    assert (record["name"], record["status"]) == ("main-transactions.csv", "completed")
    [task] = await client.call(
        "getServerTasks",
        "main",
        "SELECT * FROM server_tasks WHERE name = 'Export all transactions'",
    )
    assert (task["status"], task.get("errorMessage")) == ("completed", None)


async def test_a_backup_cancelled_as_it_completes_hands_over_its_file(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    async with cancel_on_writer(daemon, client, "main", after="INTO server_files", at="UPDATE"):
        record = await client.call("enqueueBackup", "main", "user")

    assert (record["name"], record["status"]) == ("main-backup.zip", "completed")


async def test_a_removed_transaction_cancelled_as_it_commits_is_gone_and_its_balances_follow(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    tx_id = await client.call("addTransaction", SWAP, "main")
    await settled(client)
    events: list[tuple[Any, ...]] = []
    await client.call("subscribeToAuditLogs", "main", lambda *args: events.append(args))

    async with cancel_on_writer(daemon, client, "main") as trap:
        task_id = await client.call("enqueueDeleteTransaction", "main", "user", tx_id)
        task = await wait_for_task(client, task_id)

    assert trap.cancelled == task_id
    assert (task["status"], task.get("errorMessage")) == ("completed", None)
    assert ("deleted", SWAP["timestamp"], None) in events
    assert (
        await client.call(
            "getTransactions", "main", "SELECT * FROM transactions WHERE id = ?", [tx_id]
        )
        == []
    )
    await settled(client)
    balances = {row["assetId"] for row in await client.call("getBalancesAt", "main")}
    assert balances == {"ex.binance:BTC", "ex.binance:ETH"}


async def test_a_transaction_removal_cancelled_before_its_commit_removes_nothing(
    daemon: Daemon, client: DaemonClient, ledger: None
) -> None:
    tx_id = await client.call("addTransaction", SWAP, "main")
    await settled(client)
    before = await ledger_digest(daemon)

    async with cancel_on_writer(daemon, client, "main", at="DELETE") as trap:
        task_id = await client.call("enqueueDeleteTransaction", "main", "user", tx_id)
        task = await wait_for_task(client, task_id)

    assert trap.cancelled == task_id
    assert (task["status"], task.get("errorMessage")) == ("aborted", "Task aborted by user.")
    assert await ledger_digest(daemon) == before


DELETIONS = [
    ("enqueueDeleteBalances", "DELETE FROM balances"),
    ("enqueueDeleteAssetPrices", "DELETE FROM price_requests"),
    ("enqueueDeleteAssetPreferences", "DELETE FROM assets"),
]


@pytest.mark.parametrize(("method", "at"), DELETIONS)
async def test_a_deletion_cancelled_before_its_commit_deletes_nothing(
    daemon: Daemon, client: DaemonClient, ledger: None, method: str, at: str
) -> None:
    db = daemon.accounts.get("main")
    await db.execute(
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        "VALUES ('p1', 'ex.binance:BTC', 1614556800000, '{\"value\": 50000}', 'BTCUSDT', "
        "'binance')"
    )
    await client.call("patchAsset", "main", "ex.binance:BTC", {"favorite": True})
    state = "SELECT * FROM assets UNION ALL SELECT key, value, 0, 0, 0, 0, 0 FROM key_value"
    before = await ledger_digest(daemon), await db.fetch_all(state)

    async with cancel_on_writer(daemon, client, "main", at=at) as trap:
        task_id = await client.call(method, "main", "user")
        task = await wait_for_task(client, task_id)

    assert trap.cancelled == task_id
    assert (task["status"], task.get("errorMessage")) == ("aborted", "Task aborted by user.")
    assert (await ledger_digest(daemon), await db.fetch_all(state)) == before
    assert (await client.call("getMyAssets", "main"))[0]["favorite"] is True
