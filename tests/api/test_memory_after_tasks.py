"""Once an account's tasks are done, the daemon frees its page caches and trims the heap."""

import asyncio
from dataclasses import replace
from pathlib import Path

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
