"""Deleting a large share of a ledger table through an index rebuild leaves what a plain DELETE
leaves: the same rows, the same indexes, and nothing at all after a rollback."""

import sqlite3

import pytest

from privatefolio_daemon.store.bulk_delete import MIN_REBUILD_ROWS, delete_where_equal

INSERT_LOG = (
    "INSERT INTO audit_logs (id, assetId, change, fileImportId, importIndex, operation, "
    "platformId, timestamp, wallet) VALUES (?, 'ex.binance:BTC', ?, ?, ?, 'Deposit', "
    "'ex.binance', ?, 'Spot')"
)


def fill(connection: sqlite3.Connection, file_import_id: str, rows: int) -> None:
    connection.execute("BEGIN")
    connection.executemany(
        INSERT_LOG,
        (
            (f"{file_import_id}_{n}", f"{n}.5", file_import_id, n, 1_600_000_000_000 + n)
            for n in range(rows)
        ),
    )
    connection.execute("COMMIT")


def indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_logs' "
        "AND sql IS NOT NULL ORDER BY name"
    ).fetchall()


def contents(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    return connection.execute("SELECT * FROM audit_logs ORDER BY rowid").fetchall()


@pytest.mark.parametrize(
    ("going", "staying"),
    [(2 * MIN_REBUILD_ROWS, MIN_REBUILD_ROWS), (MIN_REBUILD_ROWS, 2 * MIN_REBUILD_ROWS), (5, 5)],
)
def test_the_rows_that_stay_keep_their_indexes(
    ledger: sqlite3.Connection, going: int, staying: int
) -> None:
    fill(ledger, "stays", staying)
    expected, expected_indexes = contents(ledger), indexes(ledger)
    fill(ledger, "goes", going)

    ledger.execute("BEGIN")
    deleted = delete_where_equal(ledger, "audit_logs", "fileImportId", "goes")
    ledger.execute("COMMIT")

    assert deleted == going
    assert contents(ledger) == expected
    assert indexes(ledger) == expected_indexes
    assert ledger.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    plan = ledger.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM audit_logs WHERE fileImportId = 'stays'"
    ).fetchall()
    assert "audit_logs_file_import" in str(plan)


def test_a_rollback_brings_back_the_rows_and_the_indexes(ledger: sqlite3.Connection) -> None:
    fill(ledger, "goes", 2 * MIN_REBUILD_ROWS)
    before, before_indexes = contents(ledger), indexes(ledger)

    ledger.execute("BEGIN")
    delete_where_equal(ledger, "audit_logs", "fileImportId", "goes")
    ledger.execute("ROLLBACK")

    assert contents(ledger) == before
    assert indexes(ledger) == before_indexes
