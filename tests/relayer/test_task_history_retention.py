"""Task-history retention: expired finished tasks and their log files go, at start-up and daily."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.domain.derived_steps import placeholder_steps
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.timeutil import DAY_MS, now_ms
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted
from privatefolio_daemon.relayer.crons import Crons
from privatefolio_daemon.relayer.relayer import Relayer, RelayerSettings
from privatefolio_daemon.relayer.task_history import (
    TASK_NAME,
    PruneResult,
    TaskHistoryPruner,
    TaskHistoryRetention,
)
from privatefolio_daemon.store.database import Database
from tests.conftest import make_config, offline_daemon
from tests.relayer.conftest import open_account_db

FINISHED = ("completed", "failed", "aborted", "cancelled")


async def add_task(
    db: Database,
    logs_dir: Path | None,
    status: str,
    *,
    days_ago: float,
    started: bool = True,
    ended: bool = True,
) -> int:
    """A task row created ``days_ago``; started and ended at that time unless told otherwise,
    with a log file in ``logs_dir`` (none when it is None)."""
    at = now_ms() - int(days_ago * DAY_MS)
    task_id = await db.execute(
        "INSERT INTO server_tasks (name, description, priority, trigger, status, createdAt, "
        "startedAt, completedAt) VALUES ('Sleep', 'Sleep', 5, 'cron', ?, ?, ?, ?)",
        (status, at, at if started else None, at if ended else None),
    )
    if logs_dir is not None:
        write_task_log(logs_dir, task_id)
    return task_id


def write_task_log(logs_dir: Path, task_id: int) -> None:
    logs_dir.mkdir(parents=True, exist_ok=True)
    (logs_dir / f"server_task_{task_id}.log").write_text(
        '2025-01-01T00:00:00.000Z [null,"Start"]\n'
    )


async def task_ids(db: Database) -> list[int]:
    return [row[0] for row in await db.fetch_all("SELECT id FROM server_tasks ORDER BY id")]


def log_names(logs_dir: Path) -> list[str]:
    return sorted(path.name for path in logs_dir.iterdir())


def logs_of(*ids: int) -> list[str]:
    return sorted(f"server_task_{task_id}.log" for task_id in ids)


class ProgressLines:
    def __init__(self) -> None:
        self.lines: list[tuple[float | None, str | None]] = []

    def __call__(self, percent: float | None = None, message: str | None = None) -> None:
        self.lines.append((percent, message))


def pruner(db: Database, events: EventBus, logs_dir: Path, **retention: Any) -> TaskHistoryPruner:
    return TaskHistoryPruner("main", db, events, logs_dir, TaskHistoryRetention(**retention))


@pytest.fixture
def logs_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "main"


async def test_expired_finished_tasks_go_with_their_logs(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    changes: list[tuple[()]] = []
    events.subscribe("server-tasks", lambda: changes.append(()), account="main")
    await add_task(account_db, logs_dir, "completed", days_ago=91)
    queued = await add_task(account_db, None, "queued", days_ago=300, started=False, ended=False)
    await add_task(account_db, logs_dir, "failed", days_ago=91)
    running = await add_task(account_db, logs_dir, "running", days_ago=300, ended=False)
    await add_task(account_db, logs_dir, "aborted", days_ago=91)
    await add_task(account_db, logs_dir, "cancelled", days_ago=91)
    await add_task(account_db, None, "cancelled", days_ago=200, started=False)  # while queued
    await add_task(account_db, logs_dir, "aborted", days_ago=120, ended=False)  # ends at start
    await add_task(account_db, None, "cancelled", days_ago=95, started=False, ended=False)
    recent = [await add_task(account_db, logs_dir, status, days_ago=89) for status in FINISHED]

    result = await pruner(account_db, events, logs_dir, days=90, keep_newest=0).prune(
        ProgressLines(), CancelToken()
    )

    assert result == PruneResult(tasks=7, logs=5)
    assert await task_ids(account_db) == [queued, running, *recent]
    assert log_names(logs_dir) == logs_of(running, *recent)
    assert changes == [()]


async def test_the_newest_finished_tasks_stay_whatever_their_age(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    ids = [await add_task(account_db, logs_dir, "completed", days_ago=400) for _ in range(5)]
    queued = await add_task(account_db, None, "queued", days_ago=400, started=False, ended=False)
    running = await add_task(account_db, logs_dir, "running", days_ago=1, ended=False)

    result = await pruner(account_db, events, logs_dir, days=90, keep_newest=3).prune(
        ProgressLines(), CancelToken()
    )

    assert result == PruneResult(tasks=2, logs=2)
    assert await task_ids(account_db) == [ids[2], ids[3], ids[4], queued, running]
    assert log_names(logs_dir) == logs_of(ids[2], ids[3], ids[4], running)


async def test_a_task_an_unread_notification_tells_of_stays_until_it_is_read(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    told, read, _untold = [
        await add_task(account_db, logs_dir, "failed", days_ago=100) for _ in "abc"
    ]
    notify = (
        "INSERT INTO notifications (title, text, createdAt, status, metadata) "
        "VALUES ('Sleep failed', 'boom', 1, ?, ?)"
    )
    await account_db.execute(notify, (0, f'{{"taskId": {told}}}'))
    await account_db.execute(notify, (1, f'{{"taskId": {read}}}'))
    await account_db.execute(notify, (0, "not json"))
    prune = pruner(account_db, events, logs_dir, days=90, keep_newest=0)

    first = await prune.prune(ProgressLines(), CancelToken())
    left = await task_ids(account_db), log_names(logs_dir)
    await account_db.execute("UPDATE notifications SET status = 1")
    second = await prune.prune(ProgressLines(), CancelToken())

    assert first == PruneResult(tasks=2, logs=2)  # read, and the one no notification tells of
    assert left == ([told], logs_of(told))
    assert second == PruneResult(tasks=1, logs=1)
    assert await task_ids(account_db) == []


async def test_zero_days_keeps_every_task(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    ids = [await add_task(account_db, logs_dir, "completed", days_ago=4000) for _ in range(3)]
    keep_all = pruner(account_db, events, logs_dir, days=0, keep_newest=0)

    assert not await keep_all.has_expired_tasks()
    assert await keep_all.prune(ProgressLines(), CancelToken()) == PruneResult(0, 0)
    assert await task_ids(account_db) == ids
    assert log_names(logs_dir) == logs_of(*ids)


async def test_a_missing_log_file_does_not_stop_the_prune(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    await add_task(account_db, logs_dir, "completed", days_ago=100)
    await add_task(account_db, None, "cancelled", days_ago=100, started=False)  # never ran
    await add_task(account_db, None, "failed", days_ago=100)  # its log deleted by hand
    await add_task(account_db, logs_dir, "completed", days_ago=100)
    recent = await add_task(account_db, logs_dir, "completed", days_ago=1)

    result = await pruner(account_db, events, logs_dir, days=90, keep_newest=0).prune(
        ProgressLines(), CancelToken()
    )

    assert result == PruneResult(tasks=4, logs=2)
    assert await task_ids(account_db) == [recent]
    assert log_names(logs_dir) == logs_of(recent)


async def test_a_prune_goes_in_batches(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    for _ in range(5):
        await add_task(account_db, logs_dir, "completed", days_ago=100)
    progress = ProgressLines()

    await pruner(account_db, events, logs_dir, days=90, keep_newest=0, batch_tasks=2).prune(
        progress, CancelToken()
    )

    assert [percent for percent, _ in progress.lines] == [0, 40.0, 80.0, 100.0, 100]
    assert progress.lines[-1] == (100, "Deleted 5 tasks and 5 log files")
    assert await task_ids(account_db) == []


async def test_an_abort_between_batches_leaves_whole_batches(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    changes: list[tuple[()]] = []
    events.subscribe("server-tasks", lambda: changes.append(()), account="main")
    ids = [await add_task(account_db, logs_dir, "completed", days_ago=100) for _ in range(5)]
    token = CancelToken()

    def abort_after_the_first_batch(percent: float | None, message: str | None) -> None:
        if percent == 40.0:
            token.cancel("Server shutting down.")

    task_history = pruner(account_db, events, logs_dir, days=90, keep_newest=0, batch_tasks=2)
    with pytest.raises(TaskAborted):
        await task_history.prune(abort_after_the_first_batch, token)

    assert await task_ids(account_db) == ids[2:]
    assert log_names(logs_dir) == logs_of(*ids[2:])
    assert changes == [()]  # what was deleted is told


async def test_a_batch_deleted_as_its_task_is_cancelled_is_told(
    account_db: Database, events: EventBus, logs_dir: Path
) -> None:
    """The cancel lands while the writer deletes the first batch: the batch is deleted, so it is
    counted and announced, and the pruning stops there."""
    changes: list[tuple[()]] = []
    events.subscribe("server-tasks", lambda: changes.append(()), account="main")
    ids = [await add_task(account_db, logs_dir, "completed", days_ago=100) for _ in range(5)]
    token = CancelToken()
    loop = asyncio.get_running_loop()
    running: list[asyncio.Task[PruneResult]] = []

    async def cancel() -> None:
        token.cancel("Task aborted by user.")
        running[0].cancel()

    def on_statement(sql: str) -> None:
        if sql.startswith("DELETE FROM server_tasks") and not token.cancelled:
            asyncio.run_coroutine_threadsafe(cancel(), loop).result(30)

    await account_db.write(lambda connection: connection.set_trace_callback(on_statement))
    task_history = pruner(account_db, events, logs_dir, days=90, keep_newest=0, batch_tasks=2)
    running.append(asyncio.ensure_future(task_history.prune(ProgressLines(), token)))
    with pytest.raises(TaskAborted):
        await running[0]
    await account_db.write(lambda connection: connection.set_trace_callback(None))

    assert await task_ids(account_db) == ids[2:]
    assert changes == [()]


@pytest.fixture
async def crons() -> AsyncIterator[Crons]:
    scheduler = Crons(enabled=True, jitter_seconds=0)
    scheduler.start()
    yield scheduler
    scheduler.shutdown()


def relayer_of(events: EventBus, tmp_path: Path, crons: Crons, **retention: Any) -> Relayer:
    settings = RelayerSettings(task_history=TaskHistoryRetention(**retention))
    return Relayer(
        events, lambda name: tmp_path / "logs" / name, placeholder_steps(), crons, settings
    )


async def clean_up_row(db: Database, timeout: float = 5.0) -> tuple[Any, ...]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await db.fetch_one(
            "SELECT id, status, trigger, priority FROM server_tasks WHERE name = ?", (TASK_NAME,)
        )
        if row is not None and row[1] not in ("queued", "running"):
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the clean-up is {row}")
        await asyncio.sleep(0.01)


async def test_an_opened_account_cleans_up_its_task_history(
    account_db: Database, events: EventBus, logs_dir: Path, tmp_path: Path
) -> None:
    old = [await add_task(account_db, logs_dir, "completed", days_ago=100) for _ in range(3)]
    recent = await add_task(account_db, logs_dir, "failed", days_ago=2)
    relayer = relayer_of(events, tmp_path, Crons(enabled=False), days=90, keep_newest=2)
    await relayer.account_opened("main", account_db)
    try:
        clean_up, status, trigger, priority = await clean_up_row(account_db)
    finally:
        await relayer.account_closing("main")

    assert (status, trigger, priority) == ("completed", "system", 1)
    assert await task_ids(account_db) == [old[2], recent, clean_up]
    assert log_names(logs_dir) == logs_of(old[2], recent, clean_up)


async def test_an_account_with_nothing_expired_queues_no_clean_up(
    account_db: Database, events: EventBus, logs_dir: Path, tmp_path: Path
) -> None:
    old = [await add_task(account_db, logs_dir, "completed", days_ago=100) for _ in range(2)]
    recent = await add_task(account_db, logs_dir, "completed", days_ago=89)
    for relayer in (
        relayer_of(events, tmp_path, Crons(enabled=False), days=90, keep_newest=3),
        relayer_of(events, tmp_path, Crons(enabled=False), days=0, keep_newest=0),
    ):
        await relayer.account_opened("main", account_db)
        await relayer.account_closing("main")

    assert await task_ids(account_db) == [*old, recent]


async def test_a_daily_cron_queues_the_clean_up(
    account_db: Database, events: EventBus, logs_dir: Path, tmp_path: Path, crons: Crons
) -> None:
    relayer = relayer_of(events, tmp_path, crons, days=90, keep_newest=0)
    await relayer.account_opened("main", account_db)
    try:
        job = crons.job("task-history:main")
        assert job.trigger.interval == timedelta(days=1)
        # Written beside the open queue, as executeSql could: the queue's next id moves it.
        await add_task(account_db, logs_dir, "completed", days_ago=100)
        job.modify(next_run_time=datetime.now(UTC) - timedelta(minutes=1))
        crons.wake()
        clean_up, status, trigger, _ = await clean_up_row(account_db)
        assert (status, trigger) == ("completed", "cron")
        assert await task_ids(account_db) == [clean_up]
    finally:
        await relayer.account_closing("main")
    assert crons.job("task-history:main") is None

    keep_all = relayer_of(events, tmp_path, crons, days=0)
    await keep_all.account_opened("main", account_db)
    assert crons.job("task-history:main") is None
    await keep_all.account_closing("main")


async def test_the_daemon_cleans_up_at_start_up(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "databases").mkdir(parents=True)
    db = await open_account_db(data_dir / "databases" / "main.sqlite")
    logs_dir = data_dir / "logs" / "main"
    old = [await add_task(db, logs_dir, "completed", days_ago=365) for _ in range(150)]
    recent = await add_task(db, logs_dir, "completed", days_ago=1)
    await db.close()

    daemon = offline_daemon(make_config(data_dir))  # crons off: the start-up run is no cron
    await daemon.start()
    try:
        db = daemon.accounts.get("main")
        clean_up, status, trigger, _ = await clean_up_row(db)
        kept = old[-99:]  # the newest 100 finished stay (Limits.task_history_keep_newest)
        assert (status, trigger) == ("completed", "system")
        assert await task_ids(db) == [*kept, recent, clean_up]
        assert log_names(logs_dir) == logs_of(*kept, recent, clean_up)
    finally:
        await daemon.stop()
