"""Auto-merge and spam detection that a stop left owed run at the next start: a stop right
after an import, before its side effects were queued, no longer loses them."""

import asyncio
import dataclasses
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file
from tests.api.test_merge_keeps_tags import ERC20, ETHEREUM, NORMAL, USER
from tests.conftest import make_config, offline_daemon, ws_url

OWED = "SELECT key, value FROM key_value WHERE key LIKE '%Owed' ORDER BY key"


async def started(data_dir: Path, *, crons: bool) -> tuple[Daemon, DaemonClient]:
    daemon = offline_daemon(make_config(data_dir, crons=crons))
    # Side effects wait a minute, so that the stop comes before they are queued.
    daemon.relayer.settings = dataclasses.replace(daemon.relayer.settings, debounce_seconds=60)
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    return daemon, client


async def stopped(daemon: Daemon, client: DaemonClient) -> None:
    await client.close()
    await daemon.stop()


async def passes_run(client: DaemonClient) -> list[tuple[str, str, str]]:
    for _ in range(500):
        tasks = await client.call("getServerTasks", "main")
        passes = [
            (task["name"], task["trigger"], task["status"])
            for task in sorted(tasks, key=lambda task: task["id"])
            if task["name"] in ("Auto-merge transactions", "Detect spam transactions")
        ]
        if len(passes) == 2 and all(status == "completed" for *_, status in passes):
            return passes
        await asyncio.sleep(0.02)
    raise AssertionError(f"the passes did not run: {passes}")


@pytest.mark.parametrize("crons", [True, False], ids=["crons on", "crons off"])
async def test_the_passes_an_import_set_off_run_after_a_stop_in_the_debounce(
    tmp_path: Path, crons: bool
) -> None:
    """Restart recovery runs with the crons off too (``--no-crons``, decision 0009)."""
    daemon, client = await started(tmp_path / "data", crons=False)
    await client.call("createAccount", "main")
    for name, content, context in [
        ("normal.csv", NORMAL, ETHEREUM),
        ("erc20.csv", ERC20, ETHEREUM | {"userAddress": USER}),
    ]:
        task = await import_file(daemon, client, name, content.encode(), context=context)
        assert task["status"] == "completed", task
    assert await daemon.accounts.get("main").fetch_all(OWED) == [
        ("autoMergeOwed", 2),
        ("spamDetectionOwed", 2),
    ]
    await stopped(daemon, client)

    daemon, client = await started(tmp_path / "data", crons=crons)
    try:
        assert await passes_run(client) == [
            ("Auto-merge transactions", "system", "completed"),
            ("Detect spam transactions", "system", "completed"),
        ]
        [merged] = await client.call("getTransactions", "main")
        assert (merged["id"].endswith("_MERGED"), merged["type"]) == (True, "Swap")
        assert await daemon.accounts.get("main").fetch_all(OWED) == []
    finally:
        await stopped(daemon, client)
