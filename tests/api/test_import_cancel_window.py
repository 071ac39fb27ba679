"""A cancel at the end of an import: either nothing was imported and the task reads aborted, or
everything was and it reads completed, with its events sent. Never rows under "aborted".

The import's last steps (building the indexes, the commit) run on the writer thread. A trace
callback on that connection cancels at the exact statement, so the timing is not left to luck.
"""

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.relayer.cancellation import CancelToken, TaskAborted
from privatefolio_daemon.store.seen_through import seen_through
from tests.api.importing import ledger_digest, upload

T = TypeVar("T")

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
ROWS = 5_000


def statement() -> bytes:
    rows = [
        f'"1","2021-03-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}:00","Spot",'
        f'"Deposit","C{i % 9}","{i + 1}",""'
        for i in range(ROWS)
    ]
    return "\n".join([HEADER, *rows]).encode()


class CancelAtStatement(CancelToken):
    """A token that calls ``act`` on the writer thread as a statement starting ``prefix`` runs."""

    def __init__(self, prefix: str, act: Callable[["CancelAtStatement"], None]) -> None:
        super().__init__()
        self.prefix = prefix
        self.act = act
        self.acted = False

    def guard_sql(
        self, function: Callable[[sqlite3.Connection], T]
    ) -> Callable[[sqlite3.Connection], T]:
        guarded = super().guard_sql(function)

        def traced(connection: sqlite3.Connection) -> T:
            def on_statement(sql: str) -> None:
                if not self.acted and sql.lstrip().upper().startswith(self.prefix):
                    self.acted = True
                    self.act(self)

            connection.set_trace_callback(on_statement)
            try:
                return guarded(connection)
            finally:
                connection.set_trace_callback(None)

        return traced


async def test_a_cancel_while_the_indexes_are_built_leaves_nothing(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    record = await upload(daemon, client, "statement.csv", statement())
    before = await ledger_digest(daemon)
    imports = daemon.load_features().file_imports("main")
    token = CancelAtStatement("CREATE UNIQUE INDEX", lambda token: token.cancel("stop"))

    try:
        await imports.run_import(record["id"], {}, None, lambda *_: None, token)
    except TaskAborted as aborted:
        assert str(aborted) == "stop"
    else:
        raise AssertionError("the import went on after its cancel")

    assert token.acted
    assert await ledger_digest(daemon) == before
    assert await client.call("getFileImports", "main") == []


async def test_a_caller_cancelled_as_the_import_commits_still_gets_its_result_and_events(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    record = await upload(daemon, client, "statement.csv", statement())
    imports = daemon.load_features().file_imports("main")
    announced: list[Any] = []
    daemon.events.subscribe("file-imports", lambda *args, **_: announced.append(args), "main")
    loop = asyncio.get_running_loop()
    running: list[asyncio.Task[Any]] = []
    token = CancelAtStatement("COMMIT", lambda _: loop.call_soon_threadsafe(running[0].cancel))

    running.append(
        asyncio.ensure_future(imports.run_import(record["id"], {}, None, lambda *_: None, token))
    )
    imported = await running[0]

    assert token.acted
    assert imported["meta"]["logs"] == ROWS
    assert await client.call("countAuditLogs", "main") == ROWS
    assert [args[0] for args in announced] == ["created"]


async def test_a_write_that_commits_is_seen_through_and_one_that_fails_is_not() -> None:
    gate = asyncio.Event()

    async def write(result: str | None) -> str:
        await gate.wait()
        if result is None:
            raise RuntimeError("rolled back")
        return result

    committed = asyncio.ensure_future(seen_through(write("done")))
    failed = asyncio.ensure_future(seen_through(write(None)))
    await asyncio.sleep(0)
    committed.cancel()
    failed.cancel()
    await asyncio.sleep(0)
    gate.set()

    assert await committed == "done"
    assert (await asyncio.gather(failed, return_exceptions=True))[0].__class__ is (
        asyncio.CancelledError
    )
