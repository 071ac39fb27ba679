"""A file import's removal that is cancelled before its end removes nothing."""

import asyncio
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted
from tests.api.importing import import_file, ledger_digest, wait_for_task
from tests.api.test_import_errors import GOOD_ROW, statement

OTHER_ROW = '"1","2021-03-02 10:00:00","Spot","Withdraw","BTC","-0.1",""'


async def test_a_removal_cancelled_as_it_starts_leaves_the_import(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    imported = await import_file(daemon, client, "statement.csv", statement(GOOD_ROW, OTHER_ROW))
    assert imported["status"] == "completed"
    before = await ledger_digest(daemon)
    [record] = await client.call("getFileImports", "main")
    token = CancelToken()

    def progress(_percent: float | None, message: str | None = None) -> None:
        if message is not None and message.startswith("Removing file import"):
            token.cancel("Task aborted by user.")  # the write has not begun yet

    imports = daemon.features.file_imports("main")
    with pytest.raises(TaskAborted):
        await imports.remove(record["id"], progress, token)

    assert await ledger_digest(daemon) == before
    assert [found["id"] for found in await client.call("getFileImports", "main")] == [record["id"]]
    assert await client.call("countAuditLogs", "main") == 2


async def test_a_cancel_that_comes_after_the_removal_committed_leaves_it_completed(
    client: DaemonClient, daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.call("createAccount", "main")
    await import_file(daemon, client, "statement.csv", statement(GOOD_ROW, OTHER_ROW))
    [record] = await client.call("getFileImports", "main")
    task: dict[str, Any] = {}
    emit = daemon.events.emit

    def cancel_once_removed(channel: str, *args: Any, **kwargs: Any) -> None:
        emit(channel, *args, **kwargs)
        if channel == "file-imports" and args[:1] == ("deleted",):  # committed, still running
            task["cancel"] = asyncio.ensure_future(client.call("cancelTask", "main", task["id"]))

    monkeypatch.setattr(daemon.events, "emit", cancel_once_removed)
    task["id"] = await client.call("enqueueRemoveFileImport", "main", "user", record["id"])
    ended = await wait_for_task(client, task["id"])
    await task["cancel"]

    assert (ended["status"], ended.get("errorMessage")) == ("completed", None)
    assert await client.call("getFileImports", "main") == []
