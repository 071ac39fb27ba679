"""A daemon stopped right after a change of the ledger, before its refresh chain was queued,
leaves derived data that the next start brings up to date: the cursors were lowered at once, so a
plain refresh recomputes what the change touched, and with the crons on the chain is queued again.

Each run is compared with one that was never interrupted. The ledger is the Binance fixture in two
files: the late days are imported (and refreshed) first, then the early days, which come before
every computed day."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.store.trades import TRADES_FULL_SQL
from tests.api.derived import FINAL, account_with_prices, price_settings
from tests.api.importing import import_file, wait_for_task
from tests.conftest import make_config, offline_daemon, ws_url
from tests.shared_fixtures import require_shared_fixtures

LISTED = ["IOTA", "ETF", "XLM", "QTUM", "MANA"]  # ETH is in the starter list
ETH = "ex.binance:ETH"
DEC_2017 = 1512086400000  # 2017-12-01
PRICES = [(ETH, DEC_2017 + day * DAY_MS, 400.0 + 10 * day) for day in range(31)]
REFRESH = ("computeBalances", "computeNetworth", "computeTrades")


@pytest.fixture
def files() -> tuple[bytes, bytes]:
    """The Binance fixture's early days (Dec 4 and 17) and late days (Dec 27), as two files."""
    header, *rows = (require_shared_fixtures() / "binance.csv").read_bytes().splitlines()
    early = [row for row in rows if b'"2017-12-27' not in row]
    late = [row for row in rows if b'"2017-12-27' in row]
    assert early and late
    return b"\n".join([header, *early, b""]), b"\n".join([header, *late, b""])


class Run:
    """A daemon with the fixture's assets listed, and a client of it."""

    def __init__(self, daemon: Daemon, client: DaemonClient) -> None:
        self.daemon = daemon
        self.client = client
        self.stopped = False

    async def stop(self) -> None:
        """The clean path (SIGTERM, or the account closed): the daemon stops, then the client."""
        self.stopped = True
        await self.daemon.stop()
        await self.client.close()


@asynccontextmanager
async def running(data_dir: Path, *, crons: bool = False) -> AsyncIterator[Run]:
    daemon = offline_daemon(make_config(data_dir, crons=crons))
    await daemon.start()
    daemon.features.asset_catalog.use_coin_list(
        [{"id": ticker.lower(), "symbol": ticker, "name": ticker} for ticker in LISTED]
    )
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    run = Run(daemon, client)
    try:
        yield run
    finally:
        if not run.stopped:
            await client.close()
            await daemon.stop()


async def new_account(daemon: Daemon, client: DaemonClient) -> None:
    await account_with_prices(daemon, client, PRICES)
    daemon.price_settings = price_settings()


async def last_task_id(client: DaemonClient) -> int:
    return max((task["id"] for task in await client.call("getServerTasks", "main")), default=0)


async def wait_for_chain(
    client: DaemonClient, after: int, trigger: str = "side-effect", timeout: float = 30
) -> list[dict[str, Any]]:
    """Wait until a chain queued after task ``after`` (with ``trigger``) ran "Refresh trades" and
    every task of the account has ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        tasks = await client.call("getServerTasks", "main")
        chain = [task for task in tasks if task["id"] > after and task["trigger"] == trigger]
        done = any(task["name"] == "Refresh trades" for task in chain)
        if done and all(task["status"] in FINAL for task in tasks):
            return sorted(chain, key=lambda task: task["id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {trigger} chain ran after task {after}")


async def derived(daemon: Daemon, client: DaemonClient) -> dict[str, Any]:
    """The derived data: daily balances, net worth, trades with their links, and the PnL."""
    db = daemon.accounts.get("main")
    result = {
        "balances": await db.fetch_all("SELECT timestamp, data FROM balances ORDER BY timestamp"),
        "networth": await db.fetch_all(
            "SELECT timestamp, value, change, changePercentage FROM networth ORDER BY timestamp"
        ),
        "logBalances": await db.fetch_all(
            "SELECT id, balance, balanceWallet FROM audit_logs ORDER BY id"
        ),
        "trades": await client.call("getTrades", "main", TRADES_FULL_SQL),
        "pnl": await client.call("getAccountPnL", "main"),
    }
    assert result["trades"] and any(row[1] for row in result["networth"])
    return result


async def refresh(client: DaemonClient) -> None:
    """What the user does: refresh from the cursors (no ``since``)."""
    for method in REFRESH:
        await client.call(method, "main")


async def import_late_then_early(run: Run, files: tuple[bytes, bytes]) -> int:
    """Import the late days and let their chain run; then import the early days, and return at
    once (within the debounce of their chain) with the id of that import."""
    early, late = files
    await new_account(run.daemon, run.client)
    late_import = await import_file(run.daemon, run.client, "late.csv", late)
    await wait_for_chain(run.client, late_import["id"])
    early_import = await import_file(run.daemon, run.client, "early.csv", early)
    assert (late_import["status"], early_import["status"]) == ("completed", "completed")
    return int(early_import["id"])


async def remove_early_import(client: DaemonClient) -> int:
    imports = await client.call("getFileImports", "main")
    early = next(record for record in imports if record["name"] == "early.csv")
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", early["id"])
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    return int(task_id)


async def uninterrupted(data_dir: Path, files: tuple[bytes, bytes], *, remove: bool) -> Any:
    """The derived data after both imports (and the removal of the early one), each followed
    by its chain."""
    async with running(data_dir) as run:
        await wait_for_chain(run.client, await import_late_then_early(run, files))
        if remove:
            await wait_for_chain(run.client, await remove_early_import(run.client))
            orphans = await run.daemon.accounts.get("main").fetch_all(
                "SELECT COUNT(*) FROM trade_audit_logs "
                "WHERE audit_log_id NOT IN (SELECT id FROM audit_logs)"
            )
            assert orphans == [(0,)]
        return await derived(run.daemon, run.client)


async def test_an_import_before_the_computed_days_survives_a_stop_in_the_debounce(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    expected = await uninterrupted(tmp_path / "whole", files, remove=False)
    async with running(tmp_path / "cut") as run:
        await import_late_then_early(run, files)
        await run.stop()
    async with running(tmp_path / "cut") as run:
        await refresh(run.client)
        assert await derived(run.daemon, run.client) == expected


async def test_a_removed_import_survives_a_stop_in_the_debounce(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    expected = await uninterrupted(tmp_path / "whole", files, remove=True)
    async with running(tmp_path / "cut") as run:
        await wait_for_chain(run.client, await import_late_then_early(run, files))
        await remove_early_import(run.client)
        await run.stop()
    async with running(tmp_path / "cut") as run:
        await refresh(run.client)
        assert await derived(run.daemon, run.client) == expected


async def test_a_restart_with_crons_queues_the_chain_the_stop_left_out(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    expected = await uninterrupted(tmp_path / "whole", files, remove=False)
    async with running(tmp_path / "cut") as run:
        early_import = await import_late_then_early(run, files)
        await run.stop()
    async with running(tmp_path / "cut", crons=True) as run:
        chain = await wait_for_chain(run.client, early_import, trigger="system")
        assert [task["name"] for task in chain] == [
            "Auto-merge transactions",  # owed since the import, whose side effects never ran
            "Detect spam transactions",
            "Refresh balances",
            "Fetch asset prices",
            "Refresh networth",
            "Refresh trades",
        ]
        assert await derived(run.daemon, run.client) == expected


async def test_a_restart_with_crons_queues_the_chain_again_when_it_was_interrupted(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    """The cursors are up to date, but the stop cancelled a chain (its prices were not fetched)."""
    async with running(tmp_path / "data") as run:
        await new_account(run.daemon, run.client)
        late_import = await import_file(run.daemon, run.client, "late.csv", files[1])
        await wait_for_chain(run.client, late_import["id"])
        await run.daemon.accounts.get("main").execute(
            "INSERT INTO server_tasks (name, description, priority, trigger, status, createdAt) "
            "VALUES ('Refresh networth', 'cron', 3, 'cron', 'queued', 1)"
        )
        interrupted = await last_task_id(run.client)
    async with running(tmp_path / "data", crons=True) as run:
        chain = await wait_for_chain(run.client, interrupted, trigger="system")
        assert chain[0]["name"] == "Refresh balances"


async def test_a_restart_with_crons_queues_nothing_when_derived_data_is_up_to_date(
    tmp_path: Path, files: tuple[bytes, bytes]
) -> None:
    async with running(tmp_path / "data") as run:
        await wait_for_chain(run.client, await import_late_then_early(run, files))
        last = await last_task_id(run.client)
    async with running(tmp_path / "data", crons=True) as run:
        await asyncio.sleep(1.0)
        tasks = await run.client.call("getServerTasks", "main")
        assert [task["name"] for task in tasks if task["id"] > last] == []
