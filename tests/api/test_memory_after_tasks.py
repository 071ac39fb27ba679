"""Once an account's tasks are done, the daemon frees its page caches and trims the heap."""

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from privatefolio_daemon.settings import Limits
from tests.api.importing import import_file
from tests.conftest import make_config, running_daemon
from tests.process_memory import needs_malloc_trim

STATEMENT = (
    b'"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"\n'
    b'"1","2024-03-01 10:00:00","Spot","Deposit","BTC","0.5",""\n'
    b'"1","2024-03-02 10:00:00","Spot","Withdraw","BTC","-0.1",""\n'
)


@needs_malloc_trim
async def test_the_heap_is_trimmed_after_an_import_and_the_account_still_reads(
    tmp_path: Path,
) -> None:
    config = replace(make_config(tmp_path / "data"), limits=Limits(heap_trim_quiet_seconds=0.2))
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        task = await import_file(daemon, client, "statement.csv", STATEMENT)
        assert task["status"] == "completed", task

        for _ in range(200):
            if daemon.heap_trimmer.trims:
                break
            await asyncio.sleep(0.05)

        assert daemon.heap_trimmer.trims >= 1
        assert await client.call("countAuditLogs", "main") == 2


async def _seed_logs(daemon: Any, count: int) -> None:
    """Audit logs written straight into the ledger: no task runs, none trims."""
    rows = [
        (f"log{index}", "ex.binance:BTC", "1", index, 1_700_000_000_000 + index)
        for index in range(count)
    ]
    await daemon.accounts.get("main").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, ?, 'Deposit', 'ex.binance', ?, 'Spot')",
        rows,
    )


async def _trims_after(daemon: Any, seconds: float) -> int:
    for _ in range(int(seconds / 0.05)):
        if daemon.heap_trimmer.trims:
            break
        await asyncio.sleep(0.05)
    return int(daemon.heap_trimmer.trims)


@needs_malloc_trim
async def test_the_heap_is_trimmed_after_a_large_answer_without_any_task(tmp_path: Path) -> None:
    config = replace(make_config(tmp_path / "data"), limits=Limits(heap_trim_quiet_seconds=0.2))
    async with running_daemon(config) as (daemon, client):
        await client.call("createAccount", "main")
        await _seed_logs(daemon, 6_000)
        assert len(await client.call("getAuditLogs", "main", {"limit": 10})) == 10
        assert await _trims_after(daemon, 1.0) == 0  # a small answer: nothing to give back

        assert len(await client.call("getAuditLogs", "main", {"limit": 6_000})) == 6_000

        assert await _trims_after(daemon, 10.0) == 1
