"""``readSql`` and ``executeSql``: the power user's SQL, with the daemon's own tables, the schema
and the transaction out of its reach, and the derived data following a change to the ledger."""

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.manual_entries import STOCK_BUY, SWAP, T, until
from tests.backup.helpers import table_digests
from tests.conftest import client_of_daemon_with_sql_budget

ROWS_ONLY = (
    "executeSql reads and changes rows only: no schema change, PRAGMA, ATTACH, VACUUM or "
    "transaction control"
)


OWN = "The table {} is the daemon's own and cannot be changed"
KEY = "The key {} of key_value is the daemon's own and cannot be changed"
TWO = "UPDATE tags SET name = 'a'; DELETE FROM tags"
FAILED = "The statement failed: "


async def test_read_sql_returns_rows_as_arrays_and_refuses_writes(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["otc", "tax"])
    assert await client.call("readSql", "main", "SELECT id, name FROM tags ORDER BY id") == [
        [1, "otc"],
        [2, "tax"],
    ]
    assert await client.call("readSql", "main", "SELECT name FROM tags WHERE id = ?", [2]) == [
        ["tax"]
    ]
    before = table_digests(daemon.accounts.db_path("main"))
    with pytest.raises(RpcCallError) as caught:
        await client.call("readSql", "main", "DELETE FROM tags")
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Only reading queries are allowed: DELETE FROM tags",
    )
    assert table_digests(daemon.accounts.db_path("main")) == before


async def test_execute_sql_changes_rows_and_announces_them(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["otc"])
    heard: list[Any] = []
    await client.call("subscribeToTags", "main", heard.append)
    rename = "UPDATE tags SET name = ? WHERE id = ? RETURNING id, name"
    assert await client.call("executeSql", "main", rename, ["over the counter", 1]) == [
        [1, "over the counter"]
    ]
    assert await client.call("getTags", "main") == [{"id": 1, "name": "over the counter"}]
    assert await client.call("executeSql", "main", "SELECT COUNT(*) FROM tags") == [[1]]
    await client.call("executeSql", "main", "UPDATE tags SET name = 'x' WHERE id = 9")
    await until(lambda: heard == ["updated"])
    await asyncio.sleep(0.1)
    assert heard == ["updated"]  # a statement that changed nothing is not announced


async def test_a_ledger_change_recomputes_the_balances(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")

    async def mana() -> Decimal | None:
        balances = await client.call("getBalancesAt", "main")
        held = [b["balance"] for b in balances if b["assetId"] == "ex.binance:MANA"]
        return Decimal(held[0]) if held else None

    for _ in range(500):
        if await mana() == Decimal("99.9"):
            break
        await asyncio.sleep(0.02)
    assert await mana() == Decimal("99.9")

    sql = "UPDATE audit_logs SET change = '250' WHERE id = 'MANUAL_1_BUY'"
    assert await client.call("executeSql", "main", sql) == []
    for _ in range(500):
        if await mana() == Decimal("249.9"):
            break
        await asyncio.sleep(0.02)
    assert await mana() == Decimal("249.9")


async def test_prices_written_by_sql_revalue_the_net_worth(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    day = T - T % 86_400_000

    async def worth_on_day() -> float | None:
        rows = await client.call("getNetworth", "main")
        values = [row["value"] for row in rows if row["timestamp"] == day]
        return values[0] if values else None

    for _ in range(500):
        if await worth_on_day() is not None:
            break
        await asyncio.sleep(0.02)
    assert await worth_on_day() == -1705  # the USD paid; AAPL has no price yet

    price = f'{{"time": {day // 1000}, "value": 150}}'
    sql = (
        "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
        f"VALUES ('stock:AAPL_{day}', 'stock:AAPL', {day}, '{price}', 'AAPL', 'yahoo')"
    )
    assert await client.call("executeSql", "main", sql) == []
    for _ in range(500):
        if await worth_on_day() == -205:
            break
        await asyncio.sleep(0.02)
    assert await worth_on_day() == -205  # 10 AAPL at 150, less the 1705 USD paid


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DROP TABLE tags", ROWS_ONLY),
        ("CREATE INDEX tags_by_name ON tags (name)", ROWS_ONLY),
        ("PRAGMA journal_mode = DELETE", ROWS_ONLY),
        ("ATTACH DATABASE ':memory:' AS other", ROWS_ONLY),
        ("VACUUM INTO '/tmp/copy-of-the-account.sqlite'", ROWS_ONLY),
        ("VACUUM", ROWS_ONLY),
        ("BEGIN", ROWS_ONLY),
        ("DELETE FROM sync_changes", OWN.format("sync_changes")),
        ("DELETE FROM sqlite_sequence", OWN.format("sqlite_sequence")),
        ("DELETE FROM sqlite_master", f"{FAILED}table sqlite_master may not be modified"),
        ("DELETE FROM key_value WHERE key = 'sync_feed_id'", KEY.format("sync_feed_id")),
        ("UPDATE key_value SET value = 'x' WHERE key LIKE 'sync%'", KEY.format("sync_feed_id")),
        ("REPLACE INTO key_value VALUES ('transaction_man_seq', 1)", KEY.format("transaction_man_seq")),  # noqa: E501
        ("UPDATE key_value SET value = 99 WHERE key = 'connection_seq'", KEY.format("connection_seq")),  # noqa: E501
        ("UPDATE tags SET name = 'a'; DELETE FROM tags", f"Only one statement is allowed: {TWO}"),
        ("INSERT INTO tags VALUES (1, 'x')", f"{FAILED}UNIQUE constraint failed: tags.id"),
        ("DELETE FROM no_such_table", "The statement failed: no such table: no_such_table"),
        ("SELEC 1", 'The statement failed: near "SELEC": syntax error'),
        ("  ", "The statement is empty"),
    ],
)  # fmt: skip
async def test_execute_sql_refuses_what_is_not_a_row_change_and_changes_nothing(
    daemon: Daemon, client: DaemonClient, sql: str, message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("upsertTags", "main", ["otc", "tax"])
    before = table_digests(daemon.accounts.db_path("main"))
    with pytest.raises(RpcCallError) as caught:
        await client.call("executeSql", "main", sql)
    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert table_digests(daemon.accounts.db_path("main")) == before
    assert await client.call("executeSql", "main", "SELECT COUNT(*) FROM tags") == [[2]]


async def test_a_runaway_statement_is_stopped_and_rolled_back(tmp_path: Path) -> None:
    async with client_of_daemon_with_sql_budget(tmp_path, 0.2) as client:
        await client.call("upsertTags", "main", ["otc"])
        endless = (
            "UPDATE tags SET name = 'renamed' WHERE id IN (WITH RECURSIVE n(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n)"
        )
        with pytest.raises(RpcCallError) as caught:
            await client.call("executeSql", "main", endless)
        assert (caught.value.code, caught.value.message) == (
            -32004,
            "Query took longer than 0.2 s and was stopped",
        )
        assert await client.call("getTags", "main") == [{"id": 1, "name": "otc"}]
        await client.call("upsertTags", "main", ["tax"])  # the writer is free again
        assert len(await client.call("getTags", "main")) == 2
