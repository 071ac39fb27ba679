"""Shard files: the ledger's own tables, copied into the ledger in file order.

Into a bulk-loaded ledger (indexes dropped) the copy is ``INSERT … SELECT *``, which SQLite
runs as a transfer of the stored records only between tables of one definition; with any other
shard table it would decode and encode every row, at twice the cost, or fail.
"""

import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.store.bulk_load import deferred_indexes
from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.shards import (
    SHARD_COLUMNS,
    attach_shards,
    copy_shard,
    create_shard_file,
    detach_shards,
    insert_shard_rows,
    ledger_table_sql,
)
from tests.store.account_file import migrated_account

LEDGER = ("audit_logs", "transactions")


def log_row(log_id: str, change: str, index: int) -> tuple[object, ...]:
    values = {
        "id": log_id,
        "assetId": "ex.binance:BTC",
        "change": change,
        "fileImportId": "42",
        "importIndex": index,
        "operation": "Deposit",
        "platformId": "ex.binance",
        "timestamp": 1_700_000_000_000 + index,
        "wallet": "Binance Spot",
    }
    return tuple(values.get(column) for column in SHARD_COLUMNS["audit_logs"])


def tx_row(tx_id: str, incoming: str) -> tuple[object, ...]:
    values = {
        "id": tx_id,
        "incomingAsset": "ex.binance:BTC",
        "incoming": incoming,
        "fileImportId": "42",
        "platformId": "ex.binance",
        "timestamp": 1_700_000_000_000,
        "type": "Deposit",
        "wallet": "Binance Spot",
        "metadata": "{}",
    }
    return tuple(values.get(column) for column in SHARD_COLUMNS["transactions"])


@pytest.fixture
def ledger(tmp_path: Path) -> sqlite3.Connection:
    connection = migrated_account(tmp_path)
    insert_shard_rows(connection, "audit_logs", [log_row("before", "9", 0)])
    return connection


def write_shards(ledger: sqlite3.Connection, directory: Path) -> list[Path]:
    table_sql = ledger_table_sql(ledger)
    contents = [
        ([log_row("a", "1.5", 1), log_row("twice", "2", 2)], [tx_row("t1", "1.5")]),
        ([log_row("twice", "3", 3), log_row("c", "-0.25", 4)], [tx_row("t2", "3")]),
    ]
    paths = []
    for number, (logs, transactions) in enumerate(contents):
        path = directory / f"{number}.sqlite"
        shard = create_shard_file(path, table_sql)
        insert_shard_rows(shard, "audit_logs", logs)
        insert_shard_rows(shard, "transactions", transactions)
        shard.execute("COMMIT")
        shard.close()
        paths.append(path)
    return paths


def copy_all(ledger: sqlite3.Connection, paths: list[Path], *, bulk: bool) -> list[tuple[int, int]]:
    names = attach_shards(ledger, paths)

    def copy(connection: sqlite3.Connection) -> list[tuple[int, int]]:
        if not bulk:
            return [copy_shard(connection, name) for name in names]
        with deferred_indexes(connection, LEDGER):
            return [copy_shard(connection, name) for name in names]

    try:
        return in_transaction(ledger, copy)
    finally:
        detach_shards(ledger, names)


@pytest.mark.parametrize("bulk", [True, False], ids=["indexes-dropped", "indexes-kept"])
def test_the_rows_arrive_whole_in_file_order_and_the_last_copy_of_an_id_wins(
    ledger: sqlite3.Connection, tmp_path: Path, bulk: bool
) -> None:
    counts = copy_all(ledger, write_shards(ledger, tmp_path), bulk=bulk)

    assert counts == [(2, 1), (2, 1)]
    logs = ledger.execute(
        "SELECT id, change, changeN, importIndex FROM audit_logs ORDER BY rowid"
    ).fetchall()
    assert logs == [
        ("before", "9", 9.0, 0),
        ("a", "1.5", 1.5, 1),
        ("twice", "3", 3.0, 3),
        ("c", "-0.25", -0.25, 4),
    ]
    transactions = ledger.execute(
        "SELECT id, incoming, incomingN, metadata FROM transactions ORDER BY rowid"
    ).fetchall()
    assert transactions == [("t1", "1.5", 1.5, "{}"), ("t2", "3", 3.0, "{}")]
    assert ledger.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_shard_file_holds_the_ledgers_own_table_definitions(
    ledger: sqlite3.Connection, tmp_path: Path
) -> None:
    shard = create_shard_file(tmp_path / "0.sqlite", ledger_table_sql(ledger))
    for table in LEDGER:
        columns = f"PRAGMA table_xinfo({table})"
        assert shard.execute(columns).fetchall() == ledger.execute(columns).fetchall()
    indexes = shard.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert indexes == []
