"""SQL from a client is held to limits: no function that reaches native pointers, a deadline
that holds even for a few expensive steps, bounded values and results, and errors that say so."""

import asyncio
import time
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import SWAP
from tests.backup.helpers import table_digests
from tests.conftest import client_of_daemon_with_sql_budget

SLOW_STEPS = (  # a few thousand rows, each one slow step: few steps for a progress handler
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
    "SELECT length(randomblob(4000000)) FROM n"
)
TOO_BIG = (
    "The statement failed: string or blob too big (a query may return at most 100 columns and "
    "values of at most 8 MiB)"
)


async def refusal(client: DaemonClient, method: str, *params: object) -> tuple[int, str]:
    with pytest.raises(RpcCallError) as caught:
        await client.call(method, "main", *params)
    return caught.value.code, caught.value.message


async def test_native_pointer_functions_are_refused_on_every_path(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    before = table_digests(daemon.accounts.db_path("main"))
    refused = (-32602, "The function fts3_tokenizer() is not allowed")
    for sql in (
        "SELECT hex(fts3_tokenizer('simple'))",
        "SELECT hex(fts3_tokenizer('simple', x'4141414141414141'))",
    ):
        assert await refusal(client, "readSql", sql) == refused
        assert await refusal(client, "executeSql", sql) == refused
        assert await refusal(client, "getAuditLogs", sql) == refused
    assert await refusal(client, "executeSql", "SELECT load_extension('x')") == (
        -32602,
        "The function load_extension() is not allowed",
    )
    assert table_digests(daemon.accounts.db_path("main")) == before


async def test_the_deadline_holds_for_a_query_of_few_slow_steps(tmp_path: Path) -> None:
    async with client_of_daemon_with_sql_budget(tmp_path, 0.3) as client:
        started = time.monotonic()
        assert await refusal(client, "readSql", SLOW_STEPS) == (
            -32004,
            "Query took longer than 0.3 s and was stopped",
        )
        assert time.monotonic() - started < 3
        assert await client.call("readSql", "main", "SELECT 1") == [[1]]  # the reader is free


async def test_values_and_results_are_bounded(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await refusal(client, "readSql", "SELECT length(randomblob(1000000000))") == (
        -32602,
        TOO_BIG,
    )
    many_columns = "SELECT " + ", ".join(str(number) for number in range(101))
    assert await refusal(client, "readSql", many_columns) == (
        -32602,
        "The statement failed: too many columns in result set (a query may return at most 100 "
        "columns and values of at most 8 MiB)",
    )
    nine_times_eight_mib = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9) "
        "SELECT printf('%.*c', 8000000, 'x') FROM n"
    )
    assert await refusal(client, "readSql", nine_times_eight_mib) == (
        -32602,
        "The result is larger than 64 MiB of text: add a LIMIT or select fewer columns",
    )
    assert len((await client.call("readSql", "main", nine_times_eight_mib + " LIMIT 2"))[1][0]) == (
        8_000_000
    )


async def test_results_json_cannot_carry_get_a_clear_error(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    assert await refusal(client, "readSql", "SELECT x'00'") == (
        -32602,
        "The query returned binary data (a BLOB), which cannot be sent as JSON: select "
        "hex(column) instead",
    )
    assert await client.call("readSql", "main", "SELECT hex(x'00')") == [["00"]]
    assert await refusal(client, "countAuditLogs", "SELECT 1e300") == (
        -32602,
        "A count query must return a number below 2^63, not 1e+300",
    )


async def test_reading_pragmas_with_an_argument_work_and_vacuum_is_a_clear_refusal(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    columns = await client.call("readSql", "main", "PRAGMA table_info(tags)")
    assert [column[1] for column in columns] == ["id", "name"]
    indexes = await client.call("readSql", "main", "PRAGMA main.index_list('audit_logs')")
    assert "audit_logs_id" in [index[1] for index in indexes]
    named = "SELECT name FROM pragma_table_info('tags') ORDER BY cid"
    assert await client.call("readSql", "main", named) == [["id"], ["name"]]
    before = table_digests(daemon.accounts.db_path("main"))
    for sql in ("SELECT * FROM pragma_journal_mode", "SELECT * FROM pragma_user_version"):
        assert await refusal(client, "readSql", sql) == (
            -32602,
            f"Only reading queries are allowed: {sql}",
        )
    assert await refusal(client, "readSql", "UPDATE sqlite_master SET sql = ''") == (
        -32602,
        "The statement failed: table sqlite_master may not be modified",
    )
    for sql in ("VACUUM", "VACUUM INTO 'copy.sqlite'", "PRAGMA journal_mode = DELETE"):
        assert await refusal(client, "readSql", sql) == (
            -32602,
            f"Only reading queries are allowed: {sql}",
        )
    assert table_digests(daemon.accounts.db_path("main")) == before


ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


async def test_slow_frontend_queries_neither_hold_up_the_daemon_nor_queue_for_long(
    tmp_path: Path,
) -> None:
    async with client_of_daemon_with_sql_budget(tmp_path, 2.0) as client:
        await client.call("addTransaction", SWAP, "main")
        slow = [asyncio.ensure_future(refusal(client, "getAuditLogs", ENDLESS)) for _ in range(6)]
        await asyncio.sleep(0.2)

        tx = await client.call("getTransaction", "main", "MANUAL_1")
        tasks = await client.call("getServerTasks", "main")
        logs = await client.call("getAuditLogs", "main", {"assetId": "ex.binance:MANA"})

        assert not any(query.done() for query in slow)  # they were still running
        assert (tx["id"], len(logs), isinstance(tasks, list)) == ("MANUAL_1", 2, True)
        answers = await asyncio.gather(*slow)
        timed_out = (-32004, "Query took longer than 2 s and was stopped")
        busy = (
            -32004,
            "Other queries of this account kept its query connections busy for 2 s; "
            "try again in a moment",
        )
        assert set(answers) <= {timed_out, busy}
        assert answers.count(timed_out) >= 2 and answers.count(busy) >= 2


def doubling_ctes(times: int) -> str:
    """Each CTE names the one before it twice: SQLite's compiler copies 2^times subqueries."""
    ctes = ["a0 AS (SELECT 1 AS x)"] + [
        f"a{n} AS (SELECT p.x FROM a{n - 1} AS p, a{n - 1} AS q)" for n in range(1, times + 1)
    ]
    return f"WITH {', '.join(ctes)} SELECT count(*) FROM a{times}"


async def test_with_clauses_the_compiler_would_copy_past_any_budget_are_refused(
    client: DaemonClient, daemon: Daemon
) -> None:
    """No interrupt stops a compile: 40 such CTEs would take the machine's memory before the
    budget could stop them. Refused before SQLite sees them, on every path."""
    await client.call("createAccount", "main")
    before = table_digests(daemon.accounts.db_path("main"))
    refused = (
        -32602,
        "The statement is too complex: its WITH clauses would be compiled into "
        "2,199,023,255,551 copies of their subqueries (at most 10,000)",
    )
    for method in ("readSql", "executeSql", "getAuditLogs", "countTransactions"):
        assert await refusal(client, method, doubling_ctes(40)) == refused
    assert await client.call("readSql", "main", doubling_ctes(12)) == [[1]]
    assert table_digests(daemon.accounts.db_path("main")) == before


async def test_a_result_of_more_rows_than_the_answer_may_hold_is_refused(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    numbers = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n"
    assert await refusal(client, "readSql", f"{numbers} LIMIT 200001") == (
        -32602,
        "The result has more than 200,000 rows: add a LIMIT, or read it in pages with LIMIT "
        "and OFFSET",
    )
    assert len(await client.call("readSql", "main", f"{numbers} LIMIT 200000")) == 200_000
