"""The per-account task queue: order, dedup, statuses, cancellation, recovery, progress."""

import asyncio
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.task_queue import AccountTaskQueue
from privatefolio_daemon.relayer.task_types import TaskSpec
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through
from tests.relayer.conftest import open_account_db, task_rows, wait_for_status


def spec(name: str, priority: int, function: Any, **options: Any) -> TaskSpec:
    return TaskSpec(name=name, description=name, priority=priority, function=function, **options)


def recorder(order: list[str], name: str) -> Any:
    async def run(progress: TaskProgress, cancel: CancelToken) -> None:
        order.append(name)

    return run


def saving_slowly(writing: threading.Event) -> Any:
    """A write on the writer thread that says it began, then takes 0.3 s to save a key."""

    def slow_write(connection: sqlite3.Connection) -> None:
        writing.set()
        time.sleep(0.3)
        connection.execute("INSERT INTO key_value (key, value) VALUES ('saved', 1)")

    return slow_write


def blocker(release: asyncio.Event) -> Any:
    async def run(progress: TaskProgress, cancel: CancelToken) -> None:
        await release.wait()

    return run


async def test_highest_priority_first_and_fifo_within_a_priority(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    release = asyncio.Event()
    order: list[str] = []
    first = await queue.enqueue(spec("Blocker", 9, blocker(release)))
    await wait_for_status(account_db, first, "running")
    ids = {}
    for name, priority in [("low-1", 3), ("high-1", 8), ("low-2", 3), ("mid", 5), ("high-2", 8)]:
        ids[name] = await queue.enqueue(spec(name, priority, recorder(order, name)))
    assert [task["name"] for task in queue.snapshot()["queued"]] == [
        "high-1",
        "high-2",
        "mid",
        "low-1",
        "low-2",
    ]
    release.set()
    await wait_for_status(account_db, ids["low-2"], "completed")  # the one that runs last
    assert order == ["high-1", "high-2", "mid", "low-1", "low-2"]


async def test_a_queued_task_with_the_same_name_is_not_queued_twice(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    release = asyncio.Event()
    order: list[str] = []
    await queue.enqueue(spec("Blocker", 9, blocker(release)))
    first = await queue.enqueue(spec("Refresh balances", 5, recorder(order, "a")))
    second = await queue.enqueue(spec("Refresh balances", 5, recorder(order, "b")))
    assert first == second
    release.set()
    await wait_for_status(account_db, first, "completed")
    assert order == ["a"]
    assert [row[1] for row in await task_rows(account_db)] == ["Blocker", "Refresh balances"]


async def test_statuses_and_messages(
    queue: AccountTaskQueue, account_db: Database, events: EventBus
) -> None:
    changes: list[tuple[()]] = []
    events.subscribe("server-tasks", lambda: changes.append(()), account="main")

    async def fails(progress: TaskProgress, cancel: CancelToken) -> None:
        raise RuntimeError("You cannot import the same file twice.")

    ok = await queue.enqueue(spec("Works", 5, recorder([], "x"), trigger="cron", group_id="g-1"))
    bad = await queue.enqueue(spec("Fails", 5, fails))
    await wait_for_status(account_db, bad, "failed")
    rows = await account_db.fetch_all(
        "SELECT id, status, errorMessage, trigger, groupId, startedAt IS NOT NULL, "
        "completedAt >= startedAt, duration >= 0 FROM server_tasks ORDER BY id"
    )
    assert rows == [
        (ok, "completed", None, "cron", "g-1", 1, 1, 1),
        (bad, "failed", "Error: You cannot import the same file twice.", "user", None, 1, 1, 1),
    ]
    assert len(changes) >= 6  # queued, running, done, for each


async def test_cancel_a_queued_task(queue: AccountTaskQueue, account_db: Database) -> None:
    release = asyncio.Event()
    await queue.enqueue(spec("Blocker", 9, blocker(release)))
    completions: list[str | None] = []
    waiting = await queue.enqueue(
        spec("Waits", 3, recorder([], "never"), on_completion=completions.append)
    )
    await queue.cancel(waiting)
    assert await account_db.fetch_one(
        "SELECT status, errorMessage FROM server_tasks WHERE id = ?", (waiting,)
    ) == (
        "cancelled",
        "Task cancelled by user.",
    )
    assert completions == ["Task cancelled by user."]
    release.set()


async def test_cancel_a_running_task(queue: AccountTaskQueue, account_db: Database) -> None:
    running = await queue.enqueue(spec("Sleeps", 5, blocker(asyncio.Event())))
    await wait_for_status(account_db, running, "running")
    await queue.cancel(running)
    await wait_for_status(account_db, running, "aborted")
    assert await account_db.fetch_one(
        "SELECT errorMessage FROM server_tasks WHERE id = ?", (running,)
    ) == ("Task aborted by user.",)
    after = await queue.enqueue(spec("After", 5, recorder([], "after")))
    await wait_for_status(account_db, after, "completed")


async def test_cancel_unknown_task(queue: AccountTaskQueue) -> None:
    try:
        await queue.cancel(99)
    except Exception as error:
        assert str(error) == "Task with id 99 not found."
    else:
        raise AssertionError("no error")


async def test_cancelling_interrupts_a_long_sql_statement_within_a_second(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"

    async def long_query(progress: TaskProgress, cancel: CancelToken) -> None:
        await account_db.write(cancel.guard_sql(lambda conn: conn.execute(endless).fetchone()))

    task_id = await queue.enqueue(spec("Long query", 5, long_query))
    await wait_for_status(account_db, task_id, "running")
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    await queue.cancel(task_id)
    await wait_for_status(account_db, task_id, "aborted")
    await account_db.execute("INSERT INTO key_value (key, value) VALUES ('after', 1)")
    assert time.perf_counter() - started < 1.0
    assert await account_db.fetch_one("SELECT value FROM key_value WHERE key = 'after'") == (1,)


async def test_cancelling_a_long_write_aborts_the_task_and_leaves_nothing(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    """The write before the interrupted statement is rolled back with it, and the writer is free
    for the next write."""
    await account_db.execute("INSERT INTO key_value (key, value) VALUES ('kept', 1)")
    endless = (
        "UPDATE key_value SET value = 2 WHERE key IN (WITH RECURSIVE n(i) AS "
        "(SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT 'kept' || max(i) FROM n)"
    )

    async def long_write(progress: TaskProgress, cancel: CancelToken) -> None:
        def write(connection: sqlite3.Connection) -> None:
            connection.execute("UPDATE key_value SET value = 3 WHERE key = 'kept'")
            connection.execute(endless)

        await account_db.transaction(cancel.guard_sql(write))

    task_id = await queue.enqueue(spec("Long write", 5, long_write))
    await wait_for_status(account_db, task_id, "running")
    await asyncio.sleep(0.2)
    await queue.cancel(task_id)
    await wait_for_status(account_db, task_id, "aborted")
    assert await account_db.fetch_one(
        "SELECT errorMessage FROM server_tasks WHERE id = ?", (task_id,)
    ) == ("Task aborted by user.",)
    assert await account_db.fetch_one("SELECT value FROM key_value WHERE key = 'kept'") == (1,)
    await account_db.execute("UPDATE key_value SET value = 4 WHERE key = 'kept'")
    assert await account_db.fetch_one("SELECT value FROM key_value WHERE key = 'kept'") == (4,)


async def test_a_task_that_ignores_cancellation_is_reported(
    queue: AccountTaskQueue, account_db: Database, events: EventBus
) -> None:
    lines: list[str] = []
    events.subscribe(
        "server-task-progress", lambda task_id, line: lines.append(line), account="main"
    )
    stop = asyncio.Event()
    inside = asyncio.Event()

    async def stubborn(progress: TaskProgress, cancel: CancelToken) -> None:
        inside.set()
        while not stop.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue

    task_id = await queue.enqueue(spec("Stubborn", 5, stubborn))
    await inside.wait()
    await queue.cancel(task_id)
    for _ in range(100):
        if len(lines) > 1:
            break
        await asyncio.sleep(0.02)
    message = (
        f"Task {task_id} (Stubborn) did not stop within 0.3 s of being cancelled; "
        "it is still running."
    )
    assert lines[-1][25:] == f'[null,"{message}"]\n'
    stop.set()
    await wait_for_status(account_db, task_id, "completed")  # it returned: its work is done


async def test_a_task_whose_write_commits_as_it_is_aborted_reads_completed(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    """The write runs on the writer thread and commits whatever happens to its caller; seen
    through, the task goes on to its end, and says so, instead of "aborted" over saved work."""
    writing = threading.Event()
    slow_write = saving_slowly(writing)

    async def saves(progress: TaskProgress, cancel: CancelToken) -> None:
        await seen_through(account_db.transaction(slow_write))
        progress(100, "Saved")

    task_id = await queue.enqueue(spec("Save", 5, saves))
    await asyncio.to_thread(writing.wait, 5)
    await queue.cancel(task_id)
    await wait_for_status(account_db, task_id, "completed")
    assert await account_db.fetch_one("SELECT value FROM key_value WHERE key = 'saved'") == (1,)
    assert await account_db.fetch_one(
        "SELECT errorMessage FROM server_tasks WHERE id = ?", (task_id,)
    ) == (None,)


async def test_a_second_cancel_does_not_cut_short_what_follows_a_commit_seen_through(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    """Cancelled once during its write, the task goes on past the commit to its end; a second
    cancelTask then changes nothing (it would cut off the events that follow the write)."""
    writing = threading.Event()
    slow_write = saving_slowly(writing)
    written = asyncio.Event()
    announce = asyncio.Event()

    async def saves(progress: TaskProgress, cancel: CancelToken) -> None:
        await seen_through(account_db.transaction(slow_write))
        written.set()
        await announce.wait()  # what follows the write: its events, say
        progress(100, "Announced")

    task_id = await queue.enqueue(spec("Save", 5, saves))
    await asyncio.to_thread(writing.wait, 5)
    await queue.cancel(task_id)
    await written.wait()
    await queue.cancel(task_id)
    announce.set()
    await wait_for_status(account_db, task_id, "completed")


async def test_restart_recovery(tmp_path: Path, events: EventBus) -> None:
    db = await open_account_db(tmp_path / "main.sqlite")
    await db.execute_many(
        "INSERT INTO server_tasks (name, status, createdAt) VALUES (?, ?, 1)",
        [("Import", "running"), ("Refresh", "queued"), ("Done", "completed")],
    )
    queue = AccountTaskQueue("main", db, events, tmp_path / "logs", asyncio.Semaphore(1))
    assert await queue.start() == ["Import", "Refresh"]
    rows = await db.fetch_all(
        "SELECT name, status, errorMessage, completedAt > 0 FROM server_tasks ORDER BY id"
    )
    assert rows == [
        ("Import", "aborted", "Server restarted.", 1),
        ("Refresh", "cancelled", "Server restarted.", 1),
        ("Done", "completed", None, None),
    ]
    await queue.stop()
    await db.close()


async def test_a_closed_account_cancels_its_queued_rows_with_the_reason(
    tmp_path: Path, events: EventBus
) -> None:
    """The account opens again at once (a rename, a failed restore): its queued tasks read why
    they never ran, not "Server restarted."."""
    db = await open_account_db(tmp_path / "main.sqlite")
    queue = AccountTaskQueue("main", db, events, tmp_path / "logs", asyncio.Semaphore(1))
    await queue.start()
    running = await queue.enqueue(spec("Blocker", 9, blocker(asyncio.Event())))
    await wait_for_status(db, running, "running")
    told: list[str | None] = []
    queued = await queue.enqueue(
        spec("Refresh", 5, recorder([], "Refresh"), on_completion=told.append)
    )
    await queue.stop("the account was closed (renamed, reset, restored or deleted).")
    reopened = AccountTaskQueue("main", db, events, tmp_path / "logs", asyncio.Semaphore(1))
    assert await reopened.start() == []
    assert await db.fetch_all(
        "SELECT id, status, errorMessage, completedAt > 0 FROM server_tasks ORDER BY id"
    ) == [
        (running, "aborted", "the account was closed (renamed, reset, restored or deleted).", 1),
        (
            queued,
            "cancelled",
            "Task cancelled: the account was closed (renamed, reset, restored or deleted).",
            1,
        ),
    ]
    assert told == ["Task cancelled: the account was closed (renamed, reset, restored or deleted)."]
    await reopened.stop()
    await db.close()


async def test_progress_lines_go_to_the_log_and_stop_at_1000(
    queue: AccountTaskQueue, account_db: Database, events: EventBus, tmp_path: Path
) -> None:
    published: list[tuple[int, str]] = []
    events.subscribe(
        "server-task-progress",
        lambda task_id, line: published.append((task_id, line)),
        account="main",
    )

    async def chatty(progress: TaskProgress, cancel: CancelToken) -> None:
        progress(2.5, "Processing 12 audit logs")
        progress(None, 'Say "hi"')
        progress(50)
        for index in range(1500):
            progress(None, f"line {index}")

    task_id = await queue.enqueue(spec("Chatty", 5, chatty))
    await wait_for_status(account_db, task_id, "completed")
    lines = (tmp_path / "logs" / f"server_task_{task_id}.log").read_text().splitlines()
    assert len(lines) == 1000
    assert [line[25:] for line in lines[:4]] == [
        '[null,"Starting task"]',
        '[2.5,"Processing 12 audit logs"]',
        '[null,"Say \\"hi\\""]',
        "[50]",
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .+", line) for line in lines)
    assert published[0] == (task_id, lines[0] + "\n")
    assert len(published) == 1000


async def test_a_global_cap_of_two_with_three_busy_accounts(
    tmp_path: Path, events: EventBus
) -> None:
    slots = asyncio.Semaphore(2)
    running = 0
    peak = 0
    release = asyncio.Event()

    async def busy(progress: TaskProgress, cancel: CancelToken) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    queues, dbs = [], []
    for name in ("a", "b", "c"):
        db = await open_account_db(tmp_path / f"{name}.sqlite")
        queue = AccountTaskQueue(name, db, events, tmp_path / name, slots)
        await queue.start()
        await queue.enqueue(spec("Busy", 5, busy))
        queues.append(queue)
        dbs.append(db)
    await asyncio.sleep(0.2)
    assert (running, peak) == (2, 2)
    release.set()
    for db in dbs:
        await wait_for_status(db, 1, "completed")
    assert peak == 2
    for queue, db in zip(queues, dbs, strict=True):
        await queue.stop()
        await db.close()


async def test_guard_sql_leaves_other_errors_alone(account_db: Database) -> None:
    token = CancelToken()
    try:
        await account_db.write(token.guard_sql(lambda conn: conn.execute("SELECT * FROM nowhere")))
    except sqlite3.OperationalError as error:
        assert str(error) == "no such table: nowhere"


async def test_a_task_whose_log_cannot_be_written_runs_and_the_queue_goes_on(
    tmp_path: Path, account_db: Database, events: EventBus, caplog: Any
) -> None:
    (tmp_path / "logs").write_text("a file where the logs' folder should be")
    lines: list[str] = []
    events.subscribe("server-task-progress", lambda _, line: lines.append(line), account="main")
    queue = AccountTaskQueue("main", account_db, events, tmp_path / "logs", asyncio.Semaphore(2))
    await queue.start()
    try:
        order: list[str] = []
        first = await queue.enqueue(spec("First", 5, recorder(order, "first")))
        second = await queue.enqueue(spec("Second", 5, recorder(order, "second")))
        await wait_for_status(account_db, second, "completed")
        assert await wait_for_status(account_db, first, "completed") == "completed"
    finally:
        await queue.stop()
    assert order == ["first", "second"]
    assert [line.split(" ", 1)[1] for line in lines] == ['[null,"Starting task"]\n'] * 2
    assert f"Could not write the log of task {first}" in caplog.text


async def test_a_task_whose_row_cannot_be_marked_running_fails_and_the_queue_goes_on(
    queue: AccountTaskQueue, account_db: Database
) -> None:
    release = asyncio.Event()
    outcome: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    first = await queue.enqueue(spec("First", 5, blocker(release)))
    await wait_for_status(account_db, first, "running")
    await queue.enqueue(spec("Second", 5, recorder([], "second"), on_completion=outcome.set_result))
    await account_db.write(lambda conn: conn.execute("ALTER TABLE server_tasks RENAME TO away"))
    release.set()
    message = await asyncio.wait_for(outcome, 10)
    await account_db.write(lambda conn: conn.execute("ALTER TABLE away RENAME TO server_tasks"))

    assert message == "Error: the task could not start: no such table: server_tasks"
    third = await queue.enqueue(spec("Third", 5, recorder([], "third")))
    assert await wait_for_status(account_db, third, "completed") == "completed"
