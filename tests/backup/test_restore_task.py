"""The "Restore account" task as its callers see it: progress to the end, one row, one outcome.

The restore closes its own account to swap the databases, which stops the account's queue and
the task with it. The task hands its work off: its followers still see the last lines, and no
"Task aborted" line, whether the restore completes or is rolled back.
"""

import asyncio
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.store.database import Database
from tests.api.importing import wait_for_task
from tests.backup.helpers import database_that_cannot_open, download, fill_account, upload


async def backup_of(client: DaemonClient, daemon: Daemon, marker: str) -> bytes:
    await client.call("setValue", "main", "marker", marker)
    record = await client.call("enqueueBackup", "main")
    return await download(daemon, "main", record["id"])


async def queue_behind_a_sleep(client: DaemonClient, seconds: float = 0.5) -> None:
    """Hold the account's queue, so that the next tasks are queued before they run."""
    await client.call("enqueueSleep", "main", seconds, 0.05)


class FollowedRestore:
    def __init__(self) -> None:
        self.lines: list[list[Any]] = []
        self.outcome: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def on_line(self, line: str) -> None:
        self.lines.append(orjson.loads(line.split(" ", 1)[1]))

    def on_completion(self, error: str | None) -> None:
        self.outcome.set_result(error)

    @property
    def messages(self) -> list[str]:
        return [line[1] for line in self.lines if len(line) > 1]


async def follow_restore(client: DaemonClient, record: dict[str, Any]) -> FollowedRestore:
    followed = FollowedRestore()
    task_id = await client.call("enqueueRestore", "main", "user", record, followed.on_completion)
    await client.call("subscribeToServerTaskProgress", "main", task_id, followed.on_line)
    return followed


async def restore_rows(daemon: Daemon) -> list[tuple[Any, ...]]:
    return await daemon.accounts.get("main").fetch_all(
        "SELECT status, errorMessage FROM server_tasks WHERE name = 'Restore account' ORDER BY id"
    )


async def test_followers_see_the_restore_to_its_end_and_no_abort(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    content = await backup_of(client, daemon, "backed up")
    await client.call("setValue", "main", "marker", "changed since")
    uploaded = await upload(client, daemon, "main", content)
    await queue_behind_a_sleep(client)

    followed = await follow_restore(client, uploaded)

    assert await asyncio.wait_for(followed.outcome, 30) is None
    assert followed.messages[0] == "Starting task"
    assert followed.messages[-4:] == [
        "The backup is valid",
        "Closing the account",
        "Opening the restored account",
        "Restore completed",
    ]
    assert not [message for message in followed.messages if "aborted" in message.lower()]
    assert await client.call("getValue", "main", "marker") == "backed up"
    assert await restore_rows(daemon) == [("completed", None)]


async def test_a_restore_row_shows_when_it_was_queued_started_and_completed(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    uploaded = await upload(client, daemon, "main", await backup_of(client, daemon, "one"))
    await queue_behind_a_sleep(client)
    followed = FollowedRestore()
    task_id = await client.call("enqueueRestore", "main", "user", uploaded, followed.on_completion)

    assert await asyncio.wait_for(followed.outcome, 30) is None
    restore = await client.call("getServerTask", "main", task_id)
    assert restore["createdAt"] <= restore["startedAt"] <= restore["completedAt"]
    assert restore["duration"] == restore["completedAt"] - restore["startedAt"]


async def test_a_task_queued_behind_a_restore_is_cancelled_and_its_caller_told(
    client: DaemonClient, daemon: Daemon
) -> None:
    """The restored account has a queue of its own: what waited in the old one is cancelled,
    and its row is kept in the restored account, so that its id still finds it."""
    await client.call("createAccount", "main")
    first_backup = await backup_of(client, daemon, "first")
    second_backup = await backup_of(client, daemon, "second")
    first = await upload(client, daemon, "main", first_backup, "a.zip")
    second = await upload(client, daemon, "main", second_backup, "b.zip")
    await queue_behind_a_sleep(client)

    followed_first = await follow_restore(client, first)
    followed_second = await follow_restore(client, second)

    assert await asyncio.wait_for(followed_first.outcome, 30) is None
    assert await asyncio.wait_for(followed_second.outcome, 30) == (
        "Task cancelled: another restore replaced the account before this one could run; "
        'restore "b.zip" again if you still want it.'
    )
    assert await client.call("getValue", "main", "marker") == "first"
    assert await restore_rows(daemon) == [
        ("completed", None),
        ("cancelled", "Task cancelled: the account was restored before it ran."),
    ]


async def test_a_restore_queued_behind_one_that_fails_is_told_it_did_not_run(
    client: DaemonClient, daemon: Daemon, tmp_path: Path
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").write(lambda conn: fill_account(conn, rows=20))
    content = await backup_of(client, daemon, "backed up")
    broken = await upload(client, daemon, "main", unopenable_backup(tmp_path)[0], "a.zip")
    second = await upload(client, daemon, "main", content, "b.zip")
    await client.call("setValue", "main", "marker", "kept")
    await queue_behind_a_sleep(client)

    followed_first = await follow_restore(client, broken)
    followed_second = FollowedRestore()
    second_id = await client.call(
        "enqueueRestore", "main", "user", second, followed_second.on_completion
    )

    assert (await asyncio.wait_for(followed_first.outcome, 30) or "").startswith(
        "Error: The restore could not be completed"
    )
    told = await asyncio.wait_for(followed_second.outcome, 30)
    assert told == (
        "Task cancelled: another restore, which failed, closed the account before this one "
        'could run; restore "b.zip" again if you still want it.'
    )
    assert await client.call("getValue", "main", "marker") == "kept"
    row = await client.call("getServerTask", "main", second_id)
    assert (row["status"], row["errorMessage"]) == ("cancelled", told)


@dataclass
class Hold:
    moment: str  # "closing" or "opened"
    account: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)


class AccountHolds:
    """An account lifecycle, after the relayer's: holds an account's close or its reopening (the
    relayer has stopped or started its queue) until the test releases it."""

    def __init__(self) -> None:
        self.armed: list[Hold] = []

    def hold(self, moment: str, account: str) -> Hold:
        self.armed.append(Hold(moment, account))
        return self.armed[-1]

    async def account_closing(self, name: str) -> None:
        await self._reach("closing", name)

    async def account_opened(self, name: str, db: Database) -> None:
        await self._reach("opened", name)

    async def _reach(self, moment: str, account: str) -> None:
        for hold in self.armed:
            if (hold.moment, hold.account) == (moment, account):
                self.armed.remove(hold)
                hold.reached.set()
                await hold.released.wait()
                return


async def cancel_answer(client: DaemonClient, task_id: int) -> tuple[int, str] | None:
    try:
        await client.call("cancelTask", "main", task_id)
    except RpcCallError as error:
        return error.code, error.message
    return None


async def test_a_restore_being_applied_can_no_longer_be_cancelled_and_completes(
    client: DaemonClient, daemon: Daemon
) -> None:
    """From the moment it begins to swap the files until its end is recorded: while it waits
    to close the account, while the account is closed, and once it has reopened."""
    holds = AccountHolds()
    daemon.accounts.add_lifecycle(holds)
    await client.call("createAccount", "other")
    await client.call("createAccount", "main")
    content = await backup_of(client, daemon, "backed up")
    await client.call("setValue", "main", "marker", "changed since")
    uploaded = await upload(client, daemon, "main", content)
    closing = asyncio.Event()
    daemon.events.subscribe(
        "server-task-progress",
        lambda _, line: closing.set() if "Closing the account" in line else None,
        account="main",
    )
    other_closing = holds.hold("closing", "other")  # a reset of "other" holds account changes
    reset = asyncio.ensure_future(client.call("resetAccount", "other"))
    await other_closing.reached.wait()
    outcome: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
    task_id = await client.call("enqueueRestore", "main", "user", uploaded, outcome.set_result)
    refused = (
        -32004,
        f"Task with id {task_id} can no longer be cancelled: the restore is being applied, "
        "which takes moments and then finishes.",
    )

    await closing.wait()
    assert await cancel_answer(client, task_id) == refused  # waiting to close the account
    main_closing = holds.hold("closing", "main")
    other_closing.released.set()
    await main_closing.reached.wait()
    assert await cancel_answer(client, task_id) == refused  # the account is closed
    main_opened = holds.hold("opened", "main")
    main_closing.released.set()
    await main_opened.reached.wait()
    assert await cancel_answer(client, task_id) == refused  # reopened, its end not recorded
    main_opened.released.set()

    assert await asyncio.wait_for(outcome, 30) is None
    await reset
    assert await client.call("getValue", "main", "marker") == "backed up"
    assert await restore_rows(daemon) == [("completed", None)]
    assert await cancel_answer(client, task_id) == (
        -32002,
        f"Task with id {task_id} has already ended (completed).",
    )


def unopenable_backup(work: Path) -> tuple[bytes, str]:
    """A backup whose database passes the checks but cannot be opened as an account, and why."""
    database = work / "database.sqlite"
    why = database_that_cannot_open(database)
    with zipfile.ZipFile(work / "out.zip", "w") as archive:
        archive.write(database, "database.sqlite")
    return (work / "out.zip").read_bytes(), why


async def test_a_rolled_back_restore_leaves_one_failed_row_and_tells_its_followers(
    client: DaemonClient, daemon: Daemon, tmp_path: Path
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").write(lambda conn: fill_account(conn, rows=20))
    broken, why = unopenable_backup(tmp_path)
    await client.call("setValue", "main", "marker", "kept")
    uploaded = await upload(client, daemon, "main", broken)
    await queue_behind_a_sleep(client)

    followed = await follow_restore(client, uploaded)

    error = await asyncio.wait_for(followed.outcome, 30)
    expected = (
        f"Error: The restore could not be completed ({daemon.accounts.db_path('main')}: {why}); "
        "the account is back as it was before the restore."
    )
    assert error == expected
    assert followed.messages[-3:] == [
        "The backup is valid",
        "Closing the account",  # the restored database fails its upgrade here, before the swap
        expected,
    ]
    assert not [message for message in followed.messages if "aborted" in message.lower()]
    assert await client.call("getValue", "main", "marker") == "kept"
    assert await restore_rows(daemon) == [("failed", expected)]


async def test_a_task_queued_behind_a_restore_keeps_its_id_when_the_backup_holds_it(
    client: DaemonClient, daemon: Daemon
) -> None:
    """A backup of another account has tasks under the same ids: its task moves aside."""
    await client.call("createAccount", "other")
    for _ in range(4):  # tasks 1 to 4 of "other"
        await wait_for_task(client, await client.call("enqueueSleep", "other", 0.01), "other")
    record = await client.call("enqueueBackup", "other")
    content = await download(daemon, "other", record["id"])
    await client.call("createAccount", "main")
    uploaded = await upload(client, daemon, "main", content)
    await queue_behind_a_sleep(client)  # task 1 of "main"

    followed = await follow_restore(client, uploaded)  # task 2
    compaction = await client.call("enqueueCompactDatabase", "main", "user")  # task 3, queued

    assert await asyncio.wait_for(followed.outcome, 30) is None
    kept = await client.call("getServerTask", "main", compaction)
    assert (kept["name"], kept["status"], kept["errorMessage"]) == (
        "Compact database",
        "cancelled",
        "Task cancelled: the account was restored before it ran.",
    )
    tasks = await client.call("getServerTasks", "main")
    assert sorted(task["name"] for task in tasks if task["name"] == "Sleep") == ["Sleep"] * 4


async def test_a_backup_made_while_a_task_waited_gives_no_second_copy_of_it(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await client.call("enqueueSleep", "main", 1.0, 0.1)  # task 1
    backup = asyncio.ensure_future(client.call("enqueueBackup", "main"))  # task 2
    await asyncio.sleep(0.2)
    waiting = await client.call("enqueueRefreshNetworth", "main", "user", "wizard")  # task 3
    for _ in range(1000):  # until the backup runs, task 3 still queued
        if ((await client.call("getTaskQueue", "main"))["running"] or {}).get("name") == "Backup":
            break
        await asyncio.sleep(0.005)
    await client.call("enqueueSleep", "main", 1.0, 0.1)  # task 4: the backup holds task 3 queued
    content = await download(daemon, "main", (await backup)["id"])
    uploaded = await upload(client, daemon, "main", content)

    followed = await follow_restore(client, uploaded)

    assert await asyncio.wait_for(followed.outcome, 30) is None
    rows = await daemon.accounts.get("main").fetch_all(
        "SELECT id, status, errorMessage FROM server_tasks WHERE groupId = 'wizard'"
    )
    assert rows == [
        (waiting, "cancelled", "Task cancelled: the account was restored before it ran.")
    ]
