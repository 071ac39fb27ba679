"""Migrations: applied in order, backed up before upgrades, newer databases refused."""

import re
import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import SchemaTooNew, load_migrations, migrate


def write_migrations(directory: Path, *scripts: str) -> list:  # type: ignore[type-arg]
    directory.mkdir(parents=True, exist_ok=True)
    for number, script in enumerate(scripts, start=1):
        (directory / f"{number:04d}_step.sql").write_text(script)
    return load_migrations(directory)


def test_the_account_schema_has_the_privatefolio_column_order(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "a.sqlite", isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), tmp_path / "a.sqlite")
    columns = [row[1] for row in connection.execute("PRAGMA table_xinfo(audit_logs)")]
    assert columns == [
        "id",
        "assetId",
        "balance",
        "balanceN",
        "balanceWallet",
        "balanceWalletN",
        "change",
        "changeN",
        "fileImportId",
        "connectionId",
        "importIndex",
        "operation",
        "platformId",
        "timestamp",
        "txId",
        "wallet",
    ]
    tx_columns = [row[1] for row in connection.execute("PRAGMA table_xinfo(transactions)")]
    assert tx_columns[:5] == ["id", "incomingAsset", "incoming", "incomingN", "feeAsset"]
    assert tx_columns[-3:] == ["type", "wallet", "metadata"]
    assert len(tx_columns) == 22


def test_upgrade_backs_up_first_and_records_the_version(tmp_path: Path) -> None:
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    first = write_migrations(
        tmp_path / "v1", "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x');"
    )
    assert migrate(connection, first, db_path).backup is None
    both = write_migrations(
        tmp_path / "v2",
        "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x');",
        "ALTER TABLE t ADD COLUMN b TEXT;",
    )
    report = migrate(connection, both, db_path)
    assert (report.from_version, report.to_version) == (1, 2)
    assert report.backup is not None
    backup = sqlite3.connect(report.backup)
    assert backup.execute("PRAGMA user_version").fetchone() == (1,)
    assert backup.execute("SELECT * FROM t").fetchall() == [("x",)]
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = write_migrations(
        tmp_path / "m",
        "CREATE TABLE t (a TEXT);",
        "CREATE TABLE u (a TEXT); SELECT nope FROM nowhere;",
    )
    with pytest.raises(
        RuntimeError, match=r"Migration 0002_step\.sql failed: no such table: nowhere"
    ):
        migrate(connection, migrations, db_path)
    assert connection.execute("PRAGMA user_version").fetchone() == (1,)
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert tables == {"t"}


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("PRAGMA user_version = 7")
    expected = "main.sqlite has schema version 7, but this privatefolio-daemon only knows versions"
    with pytest.raises(SchemaTooNew, match=re.escape(expected)):
        migrate(connection, write_migrations(tmp_path / "m", "CREATE TABLE t (a TEXT);"), db_path)


def test_version_3_keeps_every_row_and_rowid_and_ids_stay_unique(tmp_path: Path) -> None:
    """0003 swaps the inline primary keys for droppable unique indexes on a live ledger."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = load_migrations(schema_dir("account"))
    migrate(connection, [m for m in migrations if m.version <= 2], db_path)
    connection.execute(
        "INSERT INTO audit_logs (rowid, id, assetId, balance, change, importIndex, operation, "
        "platformId, timestamp, wallet) VALUES (7, 'a1', 'ex.binance:BTC', '1.5', '1.5', 0, "
        "'Deposit', 'ex.binance', 1000, 'Spot')"
    )
    connection.execute(
        "INSERT INTO transactions (rowid, id, incoming, incomingAsset, platformId, timestamp, "
        "type, wallet, metadata) VALUES (9, 't1', '1.5', 'ex.binance:BTC', 'ex.binance', 1000, "
        "'Deposit', 'Spot', '{}')"
    )
    migrate(connection, migrations, db_path)
    assert connection.execute(
        "SELECT rowid, id, balance, balanceN, changeN FROM audit_logs"
    ).fetchall() == [(7, "a1", "1.5", 1.5, 1.5)]
    assert connection.execute("SELECT rowid, id, incomingN FROM transactions").fetchall() == [
        (9, "t1", 1.5)
    ]
    with pytest.raises(sqlite3.IntegrityError, match=r"UNIQUE constraint failed: transactions\.id"):
        connection.execute(
            "INSERT INTO transactions (id, platformId, timestamp, type, wallet) "
            "VALUES ('t1', 'p', 1, 'Deposit', 'w')"
        )
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_version_4_computes_the_amount_columns_on_read_and_keeps_every_row(
    tmp_path: Path,
) -> None:
    """0004 turns the stored ``…N`` columns virtual: same values, same rows, smaller pages."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = load_migrations(schema_dir("account"))
    migrate(connection, [m for m in migrations if m.version <= 3], db_path)
    connection.execute(
        "INSERT INTO audit_logs (rowid, id, assetId, balance, balanceWallet, change, importIndex, "
        "operation, platformId, timestamp, wallet) VALUES (7, 'a1', 'ex.binance:BTC', '1.5', "
        "'0.5', '-2.25', 0, 'Deposit', 'ex.binance', 1000, 'Spot')"
    )
    connection.execute(
        "INSERT INTO transactions (rowid, id, incoming, fee, outgoing, price, platformId, "
        "timestamp, type, wallet, metadata) VALUES (9, 't1', '1.5', '0.1', '3', '2', "
        "'ex.binance', 1000, 'Swap', 'Spot', '{}')"
    )
    migrate(connection, migrations, db_path)

    generated = {
        (table, name): hidden
        for table in ("audit_logs", "transactions")
        for _, name, _, _, _, _, hidden in connection.execute(f"PRAGMA table_xinfo({table})")
        if hidden
    }
    assert set(generated.values()) == {2}, "2 is a virtual generated column, 3 a stored one"
    assert len(generated) == 7
    assert connection.execute(
        "SELECT rowid, id, balanceN, balanceWalletN, changeN FROM audit_logs"
    ).fetchall() == [(7, "a1", 1.5, 0.5, -2.25)]
    assert connection.execute(
        "SELECT rowid, id, incomingN, feeN, outgoingN, priceN FROM transactions"
    ).fetchall() == [(9, "t1", 1.5, 0.1, 3.0, 2.0)]
    plan = connection.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM audit_logs ORDER BY timestamp, changeN, id"
    ).fetchall()
    assert "audit_logs_canonical" in str(plan)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_version_9_drops_the_prices_stored_in_a_market_currency(tmp_path: Path) -> None:
    """Yahoo and TEFAS rows held pence, yen or lira as USD; they are fetched again, converted."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = load_migrations(schema_dir("account"))
    migrate(connection, [m for m in migrations if m.version <= 8], db_path)
    for asset, api in (
        ("stock:VOD.L", "yahoo"),
        ("fund:TI2", "tefas"),
        ("ex.binance:BTC", "binance"),
    ):
        connection.execute(
            "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
            "VALUES (?, ?, 86400000, '{\"time\": 86400, \"value\": 70.5}', 'X', ?)",
            (f"{asset}-1", asset, api),
        )
    migrate(connection, migrations, db_path)
    assert connection.execute("SELECT assetId FROM daily_prices").fetchall() == [
        ("ex.binance:BTC",)
    ]


def test_version_14_counts_prices_as_asked_from_their_first_stored_day(tmp_path: Path) -> None:
    """So that history older than an asset's first price is asked for at the next fetch."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = load_migrations(schema_dir("account"))
    migrate(connection, [m for m in migrations if m.version <= 13], db_path)
    for asset, day in (("stock:AAPL", 3), ("stock:AAPL", 2), ("ex.binance:BTC", 5)):
        connection.execute(
            "INSERT INTO daily_prices (id, assetId, timestamp, price, pair, priceApiId) "
            "VALUES (?, ?, ?, '{}', 'X', 'yahoo')",
            (f"{asset}_{day}", asset, day * 86_400_000),
        )
    migrate(connection, migrations, db_path)
    assert connection.execute("SELECT * FROM price_requests ORDER BY 1").fetchall() == [
        ("ex.binance:BTC", 5 * 86_400_000),
        ("stock:AAPL", 2 * 86_400_000),
    ]


def test_version_15_counts_spam_tags_with_detections_footprint_as_detections(
    tmp_path: Path,
) -> None:
    """Detection tags an EVM transaction without a fee and every one of its logs; a tag with
    another footprint may be a user's, which detection must never take off."""
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    migrations = load_migrations(schema_dir("account"))
    migrate(connection, [m for m in migrations if m.version <= 14], db_path)
    transactions = [  # id, platform, fee, its logs, the logs tagged
        ("detected", "chain.ethereum", None, ["d1", "d2"], ["d1", "d2"]),
        ("one_log_left", "chain.ethereum", None, ["o1", "o2"], ["o1"]),
        ("paid_a_fee", "chain.ethereum", "-0.1", ["p1"], ["p1"]),
        ("on_an_exchange", "ex.binance", None, ["b1"], ["b1"]),
        ("MANUAL_1", "chain.ethereum", None, ["m1"], ["m1"]),
        ("no_logs", "chain.ethereum", None, [], []),
    ]
    connection.execute("INSERT INTO tags (id, name) VALUES (1, 'reviewed'), (2, 'spam')")
    for tx_id, platform, fee, logs, tagged in transactions:
        connection.execute(
            "INSERT INTO transactions (id, fee, platformId, timestamp, type, wallet) "
            "VALUES (?, ?, ?, 0, 'Deposit', 'w')",
            (tx_id, fee, platform),
        )
        connection.execute("INSERT INTO transaction_tags VALUES (?, 2)", (tx_id,))
        for log_id in logs:
            connection.execute(
                "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
                "timestamp, txId, wallet) VALUES (?, 'a', '1', 0, 'Deposit', ?, 0, ?, 'w')",
                (log_id, platform, tx_id),
            )
        for log_id in tagged:
            connection.execute("INSERT INTO audit_log_tags VALUES (?, 2)", (log_id,))
    connection.execute(
        "INSERT INTO transactions (id, platformId, timestamp, type, wallet) "
        "VALUES ('reviewed', 'chain.ethereum', 0, 'Deposit', 'w')"
    )
    connection.execute("INSERT INTO transaction_tags VALUES ('reviewed', 1)")
    migrate(connection, migrations, db_path)
    assert connection.execute("SELECT * FROM spam_detected ORDER BY 1, 2").fetchall() == [
        ("auditLog", "d1"),
        ("auditLog", "d2"),
        ("transaction", "detected"),
    ]


def test_only_the_last_copy_from_before_an_upgrade_is_kept(tmp_path: Path) -> None:
    db_path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(db_path, isolation_level=None)
    scripts = ["CREATE TABLE t (a TEXT);", "ALTER TABLE t ADD COLUMN b;", "ALTER TABLE t ADD c;"]
    migrate(connection, write_migrations(tmp_path / "v1", *scripts[:1]), db_path)
    (tmp_path / "main.sqlite.pre-v2-1.bak").write_bytes(b"a start cut off while upgrading")
    (tmp_path / "main.sqlite.pre-v2-1.bak-journal").write_bytes(b"")
    (tmp_path / "other.sqlite.pre-v2-1.bak").write_bytes(b"another account's")
    second = migrate(connection, write_migrations(tmp_path / "v2", *scripts[:2]), db_path)
    third = migrate(connection, write_migrations(tmp_path / "v3", *scripts), db_path)
    assert second.backup is not None and third.backup is not None
    copies = sorted(path.name for path in tmp_path.glob("*.bak*"))
    assert copies == sorted([third.backup.name, "other.sqlite.pre-v2-1.bak"])
