"""The side-effect chain: a burst of audit-log changes gives one chain, from the oldest day."""

import asyncio
import time
from pathlib import Path

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.domain.derived_steps import placeholder
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.store.database import Database
from tests.conftest import make_config, offline_daemon
from tests.relayer.conftest import open_account_db

DAY = 1_700_006_400_000 - 1_700_006_400_000 % DAY_MS  # 2023-11-15
CHAIN = [
    "Auto-merge transactions",
    "Detect spam transactions",
    "Refresh balances",
    "Fetch asset prices",
    "Refresh networth",
    "Refresh trades",
]


async def seed(db: Database) -> None:
    def write(connection: object) -> None:
        conn = connection  # sqlite3.Connection
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO transactions (id, platformId, timestamp, type, wallet) VALUES "
            "('t1', 'ex.binance', ?, 'Deposit', 'Binance Spot'), "
            "('t2', 'ex.binance', ?, 'Deposit', 'Binance Spot')",
            (DAY + 5 * DAY_MS, DAY + 20 * DAY_MS),
        )
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)",
            [("balancesCursor", DAY + 30 * DAY_MS), ("networthCursor", DAY + 30 * DAY_MS)],
        )
        conn.executemany(  # type: ignore[attr-defined]
            "INSERT INTO balances (timestamp, data) VALUES (?, '{}')",
            [(DAY + day * DAY_MS,) for day in range(31)],
        )

    await db.write(write)


async def wait_for_tasks(
    db: Database, count: int, timeout: float = 8.0
) -> list[tuple[object, ...]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await db.fetch_all(
            "SELECT name, trigger, groupId, status, startedAt FROM server_tasks ORDER BY id"
        )
        finished = [row for row in rows if row[3] in ("completed", "failed", "aborted")]
        if len(finished) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def test_a_burst_of_100_writes_gives_one_chain_from_the_oldest_day(daemon: Daemon) -> None:
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await seed(db)
    for index in range(100):
        oldest = DAY + (10 + index % 7) * DAY_MS + index
        daemon.events.emit("audit-logs", "created", oldest, "group-1", account="main")
        if index == 50:
            daemon.events.emit(
                "audit-logs", "created", DAY + 8 * DAY_MS + 5, "group-1", account="main"
            )
        daemon.events.emit("audit-logs", "updated", account="main")
        await asyncio.sleep(0.005)
    rows = await wait_for_tasks(db, len(CHAIN))
    assert [(name, trigger, group) for name, trigger, group, *_ in rows] == [
        (name, "side-effect", "group-1") for name in CHAIN
    ]
    started_order = [row[0] for row in sorted(rows, key=lambda row: row[4] or 0)]
    assert started_order == CHAIN
    # The refresh recomputed from the day before the oldest change, not from the start.
    refresh_id = (
        await db.fetch_one("SELECT id FROM server_tasks WHERE name = 'Refresh balances'")
    )[0]
    log = (daemon.accounts.logs_dir("main") / f"server_task_{refresh_id}.log").read_text()
    assert log.splitlines()[1][25:] == '[0,"Refreshing balances starting Nov 22, 2023"]'
    assert await db.fetch_one(
        "SELECT COUNT(*) FROM balances WHERE timestamp < ?", (DAY + 7 * DAY_MS,)
    ) == (7,)
    assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'genesis'") == (
        DAY + 5 * DAY_MS,
    )
    assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'lastTx'") == (
        DAY + 20 * DAY_MS,
    )


async def test_a_deletion_refreshes_balances_networth_and_trades(daemon: Daemon) -> None:
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await seed(db)
    daemon.events.emit("audit-logs", "deleted", DAY + 9 * DAY_MS, None, account="main")
    rows = await wait_for_tasks(db, 3)
    assert [row[0] for row in rows] == ["Refresh balances", "Refresh networth", "Refresh trades"]


async def test_steps_that_are_not_available_are_left_out_of_the_chain(daemon: Daemon) -> None:
    daemon.steps["Refresh trades"] = placeholder("Refresh trades")
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await seed(db)
    daemon.events.emit("audit-logs", "deleted", DAY + 9 * DAY_MS, None, account="main")
    rows = await wait_for_tasks(db, 2)
    assert [row[0] for row in rows] == ["Refresh balances", "Refresh networth"]
    await asyncio.sleep(0.3)
    assert "Refresh trades" not in [
        row[0] for row in await db.fetch_all("SELECT name FROM server_tasks")
    ]


async def test_updated_events_and_an_empty_ledger_queue_nothing(daemon: Daemon) -> None:
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    daemon.events.emit("audit-logs", "updated", account="main")
    daemon.events.emit("audit-logs", "created", DAY, None, account="main")
    await asyncio.sleep(2.0)
    assert await db.fetch_all("SELECT name FROM server_tasks") == []
    assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'lastTx'") == (0,)


async def test_the_cursors_are_lowered_at_once_not_after_the_debounce(daemon: Daemon) -> None:
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await seed(db)
    daemon.events.emit("audit-logs", "created", DAY + 9 * DAY_MS + 5, None, account="main")
    await asyncio.sleep(0.3)  # the chain waits 1.5 s
    assert await db.fetch_all("SELECT name FROM server_tasks") == []
    assert await cursors(db) == [
        ("balancesCursor", DAY + 8 * DAY_MS),
        ("networthCursor", DAY + 8 * DAY_MS),
    ]
    assert await db.fetch_one("SELECT MAX(timestamp) FROM balances") == (DAY + 7 * DAY_MS,)


async def test_a_stop_right_after_a_change_keeps_its_invalidation(tmp_path: Path) -> None:
    """The stop cancels the chain (the daemon queues it again at its next start), never the
    lowering of the cursors: the next refresh would start from the old ones."""
    daemon = offline_daemon(make_config(tmp_path / "data"))
    await daemon.start()
    await daemon.accounts.create("main")
    account = daemon.accounts.get("main")
    await seed(account)
    busy = asyncio.ensure_future(account.write(lambda _: time.sleep(0.3)))  # a long write
    daemon.events.emit("audit-logs", "created", DAY + 20 * DAY_MS, None, account="main")
    await asyncio.sleep(0.05)  # its invalidation waits behind the long write
    daemon.events.emit("audit-logs", "deleted", DAY + 9 * DAY_MS, None, account="main")
    await daemon.stop()
    await busy

    db = await open_account_db(tmp_path / "data" / "databases" / "main.sqlite")
    try:
        assert await cursors(db) == [
            ("balancesCursor", DAY + 8 * DAY_MS),
            ("networthCursor", DAY + 8 * DAY_MS),
        ]
        assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'lastTx'") == (
            DAY + 20 * DAY_MS,
        )
    finally:
        await db.close()


async def cursors(db: Database) -> list[tuple[object, ...]]:
    return await db.fetch_all(
        "SELECT key, value FROM key_value WHERE key IN ('balancesCursor', 'networthCursor') "
        "ORDER BY key"
    )


async def test_a_ledger_whose_only_transaction_is_at_0_is_computed(daemon: Daemon) -> None:
    """Timestamp 0 (1970-01-01T00:00:00.000Z) is a transaction's time: ``lastTx`` is 0 as for an
    empty ledger, yet the chain is queued and the balances are computed."""
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await db.execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, platformId, timestamp, type, "
        "wallet) VALUES ('t0', 'crypto:BTC', '5', 'app.generic', 0, 'Deposit', 'W')"
    )
    await db.execute(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, txId, wallet) VALUES "
        "('l0', 'crypto:BTC', '5', 0, 'Deposit', 'app.generic', 0, 't0', 'W')"
    )
    daemon.events.emit("audit-logs", "created", 0, "group-0", account="main")
    rows = await wait_for_tasks(db, len(CHAIN))
    # Offline, the daemon fetches no price of BTC: that task fails, and the chain goes on.
    assert [(name, status) for name, _, _, status, _ in rows] == [
        (name, "failed" if name == "Fetch asset prices" else "completed") for name in CHAIN
    ]
    assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'lastTx'") == (0,)
    assert await db.fetch_one("SELECT data FROM balances WHERE timestamp = 0") == (
        '{"crypto:BTC":"5"}',
    )
    assert await db.fetch_one("SELECT balance FROM audit_logs WHERE id = 'l0'") == ("5",)


async def test_deleting_all_but_a_transaction_at_0_lowers_the_cursors_and_refreshes(
    daemon: Daemon,
) -> None:
    """The cursors go back to the day before the deleted transaction, not to 0 as for an empty
    ledger, and the chain is queued."""
    await daemon.accounts.create("main")
    db = daemon.accounts.get("main")
    await seed(db)
    await db.execute(
        "INSERT INTO transactions (id, platformId, timestamp, type, wallet) VALUES "
        "('t0', 'ex.binance', 0, 'Deposit', 'Binance Spot')"
    )
    await db.execute("DELETE FROM transactions WHERE id IN ('t1', 't2')")
    daemon.events.emit("audit-logs", "deleted", DAY + 5 * DAY_MS, None, account="main")
    await asyncio.sleep(0.3)  # the chain waits 1.5 s
    assert await cursors(db) == [
        ("balancesCursor", DAY + 4 * DAY_MS),
        ("networthCursor", DAY + 4 * DAY_MS),
    ]
    assert await db.fetch_one("SELECT MAX(timestamp) FROM balances") == (DAY + 3 * DAY_MS,)
    assert await db.fetch_one("SELECT value FROM key_value WHERE key = 'lastTx'") == (0,)
    rows = await wait_for_tasks(db, 3)
    assert [row[0] for row in rows] == ["Refresh balances", "Refresh networth", "Refresh trades"]
