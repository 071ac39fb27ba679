"""Auto-merge and spam detection cancelled before their commit write nothing and read aborted: the
pass stays owed, and runs whole later. (Cancelled as they commit, they complete: see
test_tasks_cancelled_at_commit.py.)"""

import dataclasses
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import TaskAborted
from tests.api.importing import import_file, ledger_digest, wait_for_task
from tests.api.test_import_cancel_window import CancelAtStatement
from tests.api.test_merge_keeps_tags import ERC20, ETHEREUM, NORMAL, USER
from tests.writer_trap import cancel_on_writer

ABORTED = ("aborted", "Task aborted by user.")
OWED = "SELECT key, value FROM key_value WHERE key LIKE '%Owed' ORDER BY key"


@pytest.fixture
async def imported(daemon: Daemon, client: DaemonClient) -> None:
    """The normal and the ERC-20 row of one EVM transaction, neither merged nor judged yet: the
    side effects wait, so that only the test's own passes run."""
    settings = daemon.relayer.settings
    daemon.relayer.settings = dataclasses.replace(
        settings, debounce_seconds=600, debounce_max_wait_seconds=600
    )
    await client.call("createAccount", "main")
    for name, content, context in [
        ("normal.csv", NORMAL, ETHEREUM),
        ("erc20.csv", ERC20, ETHEREUM | {"userAddress": USER}),
    ]:
        task = await import_file(daemon, client, name, content.encode(), context=context)
        assert task["status"] == "completed", task


async def cancelled_before_commit(
    daemon: Daemon, client: DaemonClient, method: str, at: str
) -> dict[str, Any]:
    async with cancel_on_writer(daemon, client, "main", at=at) as trap:
        task_id = await client.call(method, "main", "user")
        task = await wait_for_task(client, task_id)
    assert trap.cancelled == task_id
    return task


async def test_an_auto_merge_cancelled_before_its_commit_merges_nothing(
    daemon: Daemon, client: DaemonClient, imported: None
) -> None:
    before = await ledger_digest(daemon)
    db = daemon.accounts.get("main")

    task = await cancelled_before_commit(
        daemon, client, "enqueueAutoMerge", at="DELETE FROM transactions"
    )

    assert (task["status"], task.get("errorMessage")) == ABORTED
    assert await ledger_digest(daemon) == before
    assert sorted(tx["type"] for tx in await client.call("getTransactions", "main")) == [
        "Deposit",
        "Withdraw",
    ]
    assert await db.fetch_all(OWED) == [("autoMergeOwed", 2), ("spamDetectionOwed", 2)]

    again = await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    assert again["status"] == "completed"
    [merged] = await client.call("getTransactions", "main")
    assert (merged["id"].endswith("_MERGED"), merged["type"]) == (True, "Swap")


async def test_a_spam_detection_cancelled_before_its_commit_tags_nothing(
    daemon: Daemon, client: DaemonClient, imported: None
) -> None:
    before = await ledger_digest(daemon)
    db = daemon.accounts.get("main")
    changes = await client.call("getChanges", "main", 0, 100)

    task = await cancelled_before_commit(
        daemon, client, "enqueueDetectSpamTransactions", at="INSERT OR IGNORE INTO audit_log_tags"
    )

    assert (task["status"], task.get("errorMessage")) == ABORTED
    assert await ledger_digest(daemon) == before
    assert await client.call("getTags", "main") == []
    assert await client.call("getChanges", "main", 0, 100) == changes
    assert await db.fetch_all(OWED) == [("autoMergeOwed", 2), ("spamDetectionOwed", 2)]

    task_id = await client.call("enqueueDetectSpamTransactions", "main", "user")
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    assert await client.call("getTags", "main") == [{"id": 1, "name": "spam"}]


@pytest.mark.parametrize("step", ["Auto-merge transactions", "Detect spam transactions"])
async def test_a_pass_cancelled_while_it_reads_the_ledger_stops_there(
    daemon: Daemon, imported: None, step: str
) -> None:
    """The reading, which takes seconds on a large ledger, is interrupted too: the pass stops
    before it works out anything."""
    lines: list[Any] = []
    token = CancelAtStatement("SELECT * FROM TRANSACTIONS", lambda token: token.cancel("stop"))

    with pytest.raises(TaskAborted, match="stop"):
        await daemon.steps[step]("main", lambda *line: lines.append(list(line)), token)

    assert token.acted
    assert lines == [[0, "Fetching all transactions"]]
