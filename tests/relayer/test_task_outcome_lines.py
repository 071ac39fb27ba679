"""A task that did not complete says why in the last line of its log; one that completed may
conclude it with a line of its own."""

import asyncio
from pathlib import Path

from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import Conclusion, TaskSpec
from privatefolio_daemon.store.database import Database
from tests.relayer.conftest import wait_for_status
from tests.relayer.test_tasks_api import wait_until_done


def updates(log_path: Path) -> list[str]:
    return [line[25:] for line in log_path.read_text().splitlines()]


async def test_a_failed_task_ends_its_log_with_its_error(
    queue: AccountTaskQueue, account_db: Database, events: EventBus, tmp_path: Path
) -> None:
    published: list[str] = []
    events.subscribe("server-task-progress", lambda _, line: published.append(line), account="main")

    async def failing(progress: TaskProgress, cancel: CancelToken) -> None:
        progress(None, "Reading file")
        raise ValueError("You cannot import the same file twice.")

    task_id = await queue.enqueue(TaskSpec("Import", "Import", 8, failing))
    await wait_for_status(account_db, task_id, "failed")

    log_path = tmp_path / "logs" / f"server_task_{task_id}.log"
    assert updates(log_path) == [
        '[null,"Starting task"]',
        '[null,"Reading file"]',
        '[null,"Error: You cannot import the same file twice."]',
    ]
    assert published == log_path.read_text().splitlines(keepends=True)
    assert await account_db.fetch_one(
        "SELECT errorMessage FROM server_tasks WHERE id = ?", (task_id,)
    ) == ("Error: You cannot import the same file twice.",)


async def test_the_error_line_follows_even_a_full_log(
    queue: AccountTaskQueue, account_db: Database, tmp_path: Path
) -> None:
    async def chatty_then_failing(progress: TaskProgress, cancel: CancelToken) -> None:
        for index in range(1200):
            progress(None, f"line {index}")
        raise RuntimeError("boom")

    task_id = await queue.enqueue(TaskSpec("Chatty", "Chatty", 5, chatty_then_failing))
    await wait_for_status(account_db, task_id, "failed")

    lines = updates(tmp_path / "logs" / f"server_task_{task_id}.log")
    assert len(lines) == 1001
    assert lines[-2:] == ['[null,"line 998"]', '[null,"Error: boom"]']


async def test_a_completed_task_concludes_its_log_with_its_own_line_even_a_full_one(
    queue: AccountTaskQueue, account_db: Database, tmp_path: Path
) -> None:
    async def chatty(progress: TaskProgress, cancel: CancelToken) -> Conclusion:
        for index in range(1200):
            progress(None, f"line {index}")
        return Conclusion("Fetched prices for 8 of 10 assets; 2 failed: A, B")

    task_id = await queue.enqueue(TaskSpec("Chatty", "Chatty", 5, chatty))
    await wait_for_status(account_db, task_id, "completed")

    lines = updates(tmp_path / "logs" / f"server_task_{task_id}.log")
    assert len(lines) == 1001
    assert lines[-2:] == [
        '[null,"line 998"]',
        '[null,"Fetched prices for 8 of 10 assets; 2 failed: A, B"]',
    ]
    assert await account_db.fetch_one(
        "SELECT status, errorMessage FROM server_tasks WHERE id = ?", (task_id,)
    ) == ("completed", None)


async def test_a_task_stopped_with_the_server_says_it_was_aborted(
    queue: AccountTaskQueue, account_db: Database, tmp_path: Path
) -> None:
    running = asyncio.Event()

    async def waiting(progress: TaskProgress, cancel: CancelToken) -> None:
        running.set()
        await asyncio.Event().wait()

    task_id = await queue.enqueue(TaskSpec("Waiting", "Waiting", 5, waiting))
    await running.wait()
    await queue.stop()

    assert await wait_for_status(account_db, task_id, "aborted") == "aborted"
    assert updates(tmp_path / "logs" / f"server_task_{task_id}.log") == [
        '[null,"Starting task"]',
        '[null,"Task aborted: Server shutting down."]',
    ]


async def test_an_aborted_sleep_ends_its_log_with_the_abort(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    task_id = await client.call("enqueueSleep", "main", 30, 0.05)
    lines: list[str] = []
    await client.call("subscribeToServerTaskProgress", "main", task_id, lines.append)
    for _ in range(250):
        if len(lines) >= 2:
            break
        await asyncio.sleep(0.02)
    await client.call("cancelTask", "main", task_id)
    task = await wait_until_done(client, task_id)

    log = await client.call("getServerTaskLog", "main", task_id)
    assert task["errorMessage"] == "Task aborted by user."
    assert log.splitlines()[-1][25:] == '[null,"Task aborted by user."]'
    assert lines[-1][25:] == '[null,"Task aborted by user."]\n'
    assert log.splitlines(keepends=True)[-1] == lines[-1]
