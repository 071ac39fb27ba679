"""A large file parsed by several worker processes imports exactly what one parse imports.

Each case imports the same bytes into two daemons, one that parses in three processes (from
any size up) and one that never does, and compares the ledgers row by row, in insertion order.
The task log shows which path ran, so a silent fallback cannot pass for a parallel import.
"""

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain import file_imports
from privatefolio_daemon.domain.parallel_import import UNSORTED_FALLBACK
from privatefolio_daemon.settings import Limits
from privatefolio_daemon.worker_processes import WORKER_NICENESS
from tests.api.importing import import_file, ledger_digest, upload, wait_for_task
from tests.conftest import make_config, offline_daemon, ws_url
from tests.id_collisions import colliding_endings
from tests.processes import forked_workers

BINANCE_HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
EXPORT_HEADER = (
    '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
    '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method","Blockchain Tx",'
    '"Notes"'
)
PARALLEL = Limits(parallel_import_min_bytes=1, import_workers=3)
WHOLE = Limits(import_workers=1)
PARALLEL_LINE = "Parsing in 3 processes"
LOG_COLUMNS = (
    "id, assetId, change, fileImportId, connectionId, importIndex, operation, platformId, "
    "timestamp, txId, wallet"
)


@asynccontextmanager
async def running(directory: Path, limits: Limits) -> AsyncIterator[tuple[Daemon, DaemonClient]]:
    daemon = offline_daemon(replace(make_config(directory), limits=limits))
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    try:
        await client.call("createAccount", "main")
        yield daemon, client
    finally:
        await client.close()
        await daemon.stop()


async def import_into(
    directory: Path, limits: Limits, content: bytes, earlier: bytes | None = None
) -> dict[str, Any]:
    """Import ``content`` into a new daemon (after ``earlier``): the task, its log and the
    ledger's rows."""
    async with running(directory, limits) as (daemon, client):
        if earlier is not None:
            first = await import_file(daemon, client, "earlier.csv", earlier)
            assert first["status"] == "completed"
        task = await import_file(daemon, client, "statement.csv", content)
        db = daemon.accounts.get("main")
        return {
            "status": (task["status"], task.get("errorMessage")),
            "log": await client.call("getServerTaskLog", "main", task["id"]),
            "logs": await db.fetch_all(f"SELECT {LOG_COLUMNS} FROM audit_logs ORDER BY rowid"),
            "transactions": await db.fetch_all("SELECT * FROM transactions ORDER BY rowid"),
            "meta": await db.fetch_all("SELECT id, meta FROM file_imports"),
        }


async def assert_same_import(
    tmp_path: Path, content: bytes, *, parallel: bool = True, earlier: bytes | None = None
) -> None:
    """Same rows either way; ``parallel`` false: the workers ran, then it was parsed whole."""
    whole = await import_into(tmp_path / "whole", WHOLE, content, earlier)
    sharded = await import_into(tmp_path / "sharded", PARALLEL, content, earlier)
    assert whole["status"] == sharded["status"] == ("completed", None)
    assert PARALLEL_LINE in sharded["log"]
    assert (UNSORTED_FALLBACK not in sharded["log"]) is parallel
    assert PARALLEL_LINE not in whole["log"]
    for part in ("logs", "transactions", "meta"):
        assert sharded[part] == whole[part], part


def binance_rows(count: int, seed: int, *, descending: bool = False) -> list[str]:
    """Deposits, withdrawals and swaps (some with a second fill, merged on import), a few
    duplicates that are skipped, and two swaps far apart that share their id."""
    rng = random.Random(seed)
    seconds = 1_600_000_000
    rows: list[str] = []
    twin = [("Buy", "ETH", "2.5"), ("Sell", "BTC", "-0.1"), ("Fee", "ETH", "-0.001")]
    while len(rows) < count:
        seconds += rng.randint(1, 90)
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
        coin = rng.choice(("BTC", "ETH", "ADA", "DOT"))
        if len(rows) in (10, count - 10):
            group = twin
        elif rng.random() < 0.3:
            group = [("Buy", coin, f"{rng.randint(1, 999)}.5"), ("Sell", "USDT", "-12.25")]
            group += [("Buy", coin, "0.5")] if rng.random() < 0.2 else []
        else:
            change = rng.choice(("1.5", "-0.25", "6.0E-7", "1000"))
            group = [("Deposit" if change[0] != "-" else "Withdraw", coin, change)]
        remark = "duplicate" if rng.random() < 0.02 else ""
        rows += [
            f'"1","{when}","Spot","{op}","{coin}","{change}","{remark}"'
            for op, coin, change in group
        ]
    return list(reversed(rows)) if descending else rows


def statement(rows: list[str], newline: str = "\n") -> bytes:
    return newline.join([BINANCE_HEADER, *rows]).encode()


async def test_a_binance_statement_imports_the_same_in_shards(tmp_path: Path) -> None:
    await assert_same_import(tmp_path, statement(binance_rows(3_000, seed=1)))


async def test_a_newest_first_statement_imports_the_same_in_shards(tmp_path: Path) -> None:
    await assert_same_import(tmp_path, statement(binance_rows(3_000, seed=2, descending=True)))


async def test_a_statement_into_a_larger_ledger_imports_the_same_in_shards(
    tmp_path: Path,
) -> None:
    """The file is smaller than the ledger, which keeps its indexes: the shards are copied
    column by column, and the swap id the file repeats is replaced as INSERT OR REPLACE does."""
    earlier = statement(binance_rows(3_000, seed=10))
    content = statement(binance_rows(300, seed=11))
    await assert_same_import(tmp_path, content, earlier=earlier)
    sharded = await import_into(tmp_path / "again", PARALLEL, content, earlier)
    assert PARALLEL_LINE in sharded["log"]
    assert "Building the indexes" not in sharded["log"]


async def test_a_statement_out_of_time_order_is_parsed_whole(tmp_path: Path) -> None:
    rows = binance_rows(3_000, seed=3)
    rows = rows[1_500:] + rows[:1_500]  # sorted halves, unsorted file: grouped globally
    await assert_same_import(tmp_path, statement(rows), parallel=False)


async def test_quoted_line_breaks_crlf_and_a_bom_import_the_same_in_shards(
    tmp_path: Path,
) -> None:
    rows = [
        f'"2021-03-{1 + n % 28:02d} 10:00:{n % 60:02d}","ex.binance","Binance Spot","Deposit",'
        f'"{n}.5","ex.binance:BTC","","","","","","","","note {n}\r\n""quoted""\r\nline {n}"'
        for n in range(2_000)
    ]
    content = b"\xef\xbb\xbf" + "\r\n".join([EXPORT_HEADER, *rows]).encode()
    await assert_same_import(tmp_path, content)


async def test_a_bad_row_in_a_later_shard_fails_as_in_one_parse(tmp_path: Path) -> None:
    rows = binance_rows(3_000, seed=4)
    rows[2_600] = rows[2_600].replace('"Spot"', '"Spot","extra"')
    whole = await import_into(tmp_path / "whole", WHOLE, statement(rows))
    sharded = await import_into(tmp_path / "sharded", PARALLEL, statement(rows))
    assert sharded["status"] == whole["status"]
    assert sharded["status"][0] == "failed"
    assert "Cannot parse row 2601: Invalid number of columns" in sharded["status"][1]
    assert sharded["status"][1].endswith("(line 2602)")
    assert PARALLEL_LINE in sharded["log"]
    assert sharded["logs"] == sharded["transactions"] == sharded["meta"] == []


async def test_an_error_after_an_unsorted_stretch_is_the_first_in_the_file(
    tmp_path: Path,
) -> None:
    rows = binance_rows(3_000, seed=9)
    rows[40:80] = reversed(rows[40:80])  # the first shard stops here, unsorted
    for bad in (500, 2_600):  # the first shard's bad row comes first in the file
        rows[bad] = rows[bad].replace('"Spot"', '"Spot","extra"')
    sharded = await import_into(tmp_path / "sharded", PARALLEL, statement(rows))
    assert sharded["status"][0] == "failed"
    assert "Cannot parse row 501: Invalid number of columns" in sharded["status"][1]
    assert UNSORTED_FALLBACK in sharded["log"]


@pytest.mark.parametrize("from_end", [200, 150_000], ids=["last shard", "first shard"])
async def test_a_bad_byte_fails_as_in_one_parse_with_its_line(
    tmp_path: Path, from_end: int
) -> None:
    content = statement(binance_rows(3_000, seed=5))
    offset = len(content) - from_end
    content = content[:offset] + b"\xff" + content[offset + 1 :]
    whole = await import_into(tmp_path / "whole", WHOLE, content)
    sharded = await import_into(tmp_path / "sharded", PARALLEL, content)
    assert sharded["status"] == whole["status"]
    line = content[:offset].count(b"\n") + 1
    message = f"The file is not UTF-8 text: invalid byte 0xFF on line {line} (offset {offset})"
    assert message in str(sharded["status"][1])


async def test_a_row_too_long_in_a_later_shard_fails_as_in_one_parse(tmp_path: Path) -> None:
    rows = binance_rows(3_000, seed=8)
    rows[2_900] = rows[2_900][:-1] + "x" * 1_100_000 + '"'
    content = statement(rows)
    whole = await import_into(tmp_path / "whole", WHOLE, content)
    sharded = await import_into(tmp_path / "sharded", PARALLEL, content)
    assert sharded["status"] == whole["status"]
    assert (
        "Cannot parse row 2901: the row is longer than 1,048,576 characters (a quote may be left "
        "open, or it may not be a CSV file) (line 2902)"
    ) in str(sharded["status"][1])


async def test_shard_files_left_by_a_stopped_daemon_are_removed(tmp_path: Path) -> None:
    async with running(tmp_path / "data", PARALLEL) as (daemon, client):
        stale = daemon.accounts.files_dir("main") / ".import-left"
        stale.mkdir(parents=True)
        (stale / "0.sqlite").write_bytes(b"partial")
        task = await import_file(daemon, client, "a.csv", statement(binance_rows(500, seed=7)))
        assert task["status"] == "completed"
        assert not stale.exists()
        assert not list(daemon.accounts.files_dir("main").glob(".import-*"))


async def parsing_in_workers(daemon: Daemon, client: DaemonClient, seed: int) -> int:
    """Start the import of a 150k-row statement; returns its task once the workers parse."""
    record = await upload(daemon, client, "big.csv", statement(binance_rows(150_000, seed)))
    task_id: int = await client.call("enqueueImportFile", "main", "user", record["id"])
    parsing = asyncio.Event()

    def on_progress(line: str) -> None:
        if "Parsing row" in line:
            parsing.set()

    await client.call("subscribeToServerTaskProgress", "main", task_id, on_progress)
    await asyncio.wait_for(parsing.wait(), timeout=60)
    return task_id


async def niceness_settled(workers: list[psutil.Process], timeout: float = 5) -> set[int]:
    """The workers' niceness once each has lowered its priority: one seen parsing may have a
    sibling still starting, which has not yet."""
    expected = psutil.Process().nice() + WORKER_NICENESS
    deadline = asyncio.get_running_loop().time() + timeout
    seen = niceness_of_running(workers)
    while seen != {expected} and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
        seen = niceness_of_running(workers)
    return seen


def niceness_of_running(workers: list[psutil.Process]) -> set[int]:
    """The niceness of the workers still running (one may have parsed its part already)."""
    seen: set[int] = set()
    for worker in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            seen.add(worker.nice())
    return seen


async def test_a_cancelled_parallel_import_leaves_nothing_and_no_worker(tmp_path: Path) -> None:
    async with running(tmp_path / "data", PARALLEL) as (daemon, client):
        before = await ledger_digest(daemon)
        task_id = await parsing_in_workers(daemon, client, seed=6)
        workers = forked_workers()
        assert workers, "the workers are running"
        assert await niceness_settled(workers) == {psutil.Process().nice() + WORKER_NICENESS}
        await client.call("cancelTask", "main", task_id)
        task = await wait_for_task(client, task_id)
        assert (task["status"], task["errorMessage"]) == ("aborted", "Task aborted by user.")
        assert await ledger_digest(daemon) == before
        assert not [worker.pid for worker in workers if worker.is_running()]
        assert not list(daemon.accounts.files_dir("main").glob(".import-*"))


async def test_a_worker_that_dies_fails_the_import_and_changes_nothing(tmp_path: Path) -> None:
    async with running(tmp_path / "data", PARALLEL) as (daemon, client):
        before = await ledger_digest(daemon)
        task_id = await parsing_in_workers(daemon, client, seed=8)
        forked_workers()[-1].kill()
        task = await wait_for_task(client, task_id)
        assert (task["status"], task["errorMessage"]) == (
            "failed",
            "Error: An import worker stopped unexpectedly (exit code -9)",
        )
        assert await ledger_digest(daemon) == before
        assert not list(daemon.accounts.files_dir("main").glob(".import-*"))
        assert await client.call("getFileImports", "main") == []


async def test_a_server_file_deleted_while_workers_parse_it_is_imported_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers read the import's own name for the upload's bytes."""
    parse = file_imports.parse_in_parallel
    async with running(tmp_path / "data", PARALLEL) as (daemon, client):
        files_dir = daemon.accounts.files_dir("main")

        def deleted_first(*args: Any, **kwargs: Any) -> Any:
            for path in files_dir.iterdir():
                if path.is_file():
                    path.unlink()  # as a deleteServerFile would
            return parse(*args, **kwargs)

        monkeypatch.setattr(file_imports, "parse_in_parallel", deleted_first)
        task = await import_file(daemon, client, "a.csv", statement(binance_rows(500, seed=9)))

        log = await client.call("getServerTaskLog", "main", task["id"])
        assert (task["status"], PARALLEL_LINE in log) == ("completed", True)
        [file_import] = await client.call("getFileImports", "main")
        assert (file_import["meta"]["rows"], file_import["meta"]["logs"]) == (501, 470)
        assert await client.call("countAuditLogs", "main") == 470
        assert not list(files_dir.iterdir())


GENERIC_HEADER = (
    "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes"
)


def generic_deposits(count: int, pairs: list[tuple[int, int]]) -> bytes:
    """Deposits of 1, 2, 3… USD; each pair of rows gets notes that make their ids' hashes alike."""
    texts = [f"2024-03-01,deposit,USD,fiat,{k + 1},,,,,Broker," for k in range(count)]
    notes = [f"n{k}" for k in range(count)]
    for first, later in pairs:
        notes[first], notes[later] = colliding_endings(
            f"{first}_{texts[first]}", f"{later}_{texts[later]}"
        )
    return "\n".join([GENERIC_HEADER, *(t + n for t, n in zip(texts, notes, strict=True))]).encode()


async def test_rows_whose_ids_hash_alike_are_all_kept_in_shards_and_in_one_parse(
    tmp_path: Path,
) -> None:
    """Rows 1 and 290 lie in the first and the last of three shards, rows 5 and 6 in one."""
    content = generic_deposits(300, [(1, 290), (5, 6)])
    await assert_same_import(tmp_path, content)
    earlier = generic_deposits(900, [])  # a larger ledger keeps its indexes: another copy
    await assert_same_import(tmp_path / "into-more", content, earlier=earlier)
    sharded = await import_into(tmp_path / "again", PARALLEL, content)
    ids = [row[0] for row in sharded["transactions"]]
    assert len(ids) == len(set(ids)) == 300
    assert sum(int(row[2]) for row in sharded["logs"]) == 300 * 301 // 2
    assert [i for i in ids if i.count("_") == 2] == [f"{ids[5]}_6", f"{ids[1]}_290"]


async def test_merges_to_one_sum_in_two_shards_are_both_kept(tmp_path: Path) -> None:
    deposits = [
        f'"1","{when}","Spot","Deposit","BTC","{change}",""'
        for when in ("2020-09-13 12:00:00", "2026-01-01 00:00:00")
        for change in ("0.25", "0.75")
    ]
    rows = [*deposits[:2], *binance_rows(3_000, seed=3), *deposits[2:]]
    await assert_same_import(tmp_path, statement(rows))
    sharded = await import_into(tmp_path / "again", PARALLEL, statement(rows))
    merged = [row for row in sharded["logs"] if row[1] == "ex.binance:BTC" and row[2] == "1"]
    assert [row[0] for row in merged] == [merged[0][0], f"{merged[0][0]}_{len(rows) - 2}"]


@pytest.mark.parametrize("limits", [PARALLEL, WHOLE], ids=["in workers", "whole"])
async def test_the_progress_of_an_import_only_moves_forward(tmp_path: Path, limits: Limits) -> None:
    """The frontend's bar follows the percentages: read (10), parse, save, done (99), in order."""
    imported = await import_into(tmp_path, limits, statement(binance_rows(3_000, seed=12)))
    assert imported["status"] == ("completed", None)
    lines = [json.loads(line[25:]) for line in imported["log"].splitlines()]
    percents = [percent for percent, _ in lines if percent is not None]
    assert percents == sorted(percents)
    assert [0, 'Reading file "statement.csv" from disk'] in lines
    assert [10, 'Read file "statement.csv" from disk'] in lines
    assert lines[-1][0] == 99 and lines[-1][1].startswith("Imported ")
    parsing = [12, PARALLEL_LINE] if limits is PARALLEL else [12, "Parsing file statement.csv"]
    assert parsing in lines
