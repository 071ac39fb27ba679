"""Bulk loading: indexes dropped for the rows, rebuilt identical afterwards, and a repeated id
resolved as INSERT OR REPLACE resolves it (the last row written wins)."""

import sqlite3

import pytest

from privatefolio_daemon.store import bulk_load
from privatefolio_daemon.store.bulk_load import deferred_indexes
from privatefolio_daemon.store.database import in_transaction

TABLES = ("audit_logs", "transactions")
INSERT_LOG = (
    "INSERT OR REPLACE INTO audit_logs (id, assetId, change, importIndex, operation, "
    "platformId, timestamp, wallet) VALUES (?, 'ex.binance:BTC', ?, 0, 'Deposit', "
    "'ex.binance', ?, 'Spot')"
)


def index_sql(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (?, ?) "
        "AND sql IS NOT NULL ORDER BY name",
        TABLES,
    ).fetchall()


def test_the_indexes_come_back_exactly_as_they_were(ledger: sqlite3.Connection) -> None:
    before = index_sql(ledger)
    assert ("audit_logs_id", "CREATE UNIQUE INDEX audit_logs_id ON audit_logs (id)") in before

    def load(connection: sqlite3.Connection) -> list[tuple[str, str]]:
        with deferred_indexes(connection, TABLES):
            during = index_sql(connection)
            connection.executemany(INSERT_LOG, [(f"log{n}", "1", n) for n in range(100)])
        return during

    assert in_transaction(ledger, load) == []
    assert index_sql(ledger) == before
    assert ledger.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    plan = ledger.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM audit_logs WHERE id = 'log7'"
    ).fetchall()
    assert "USING INDEX audit_logs_id" in plan[0][3]


#: Rows whose ids repeat: "replaced" replaces a row written before the load.
REPEATED_IDS = [
    ("thrice", "6", 3),
    ("replaced", "2", 4),
    ("twice", "3", 5),
    ("thrice", "7", 6),
    ("twice", "4", 7),
    ("thrice", "8", 8),
]


def test_a_repeated_id_keeps_the_last_row_as_insert_or_replace_does(
    ledger: sqlite3.Connection,
) -> None:
    ledger.execute(INSERT_LOG, ("kept-apart", "5", 1))
    ledger.execute(INSERT_LOG, ("replaced", "1", 2))

    def load(connection: sqlite3.Connection) -> None:
        with deferred_indexes(connection, TABLES):
            connection.executemany(INSERT_LOG, REPEATED_IDS)

    in_transaction(ledger, load)
    rows = ledger.execute("SELECT id, change FROM audit_logs ORDER BY rowid").fetchall()
    assert rows == [("kept-apart", "5"), ("replaced", "2"), ("twice", "4"), ("thrice", "8")]
    with pytest.raises(sqlite3.IntegrityError, match=r"UNIQUE constraint failed: audit_logs\.id"):
        ledger.execute(
            "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
            "timestamp, wallet) VALUES ('twice', 'a', '1', 0, 'Deposit', 'p', 1, 'w')"
        )


def test_a_failed_load_rolls_back_to_the_old_indexes_and_rows(
    ledger: sqlite3.Connection,
) -> None:
    ledger.execute(INSERT_LOG, ("existing", "1", 1))
    before = index_sql(ledger)

    def load(connection: sqlite3.Connection) -> None:
        with deferred_indexes(connection, TABLES):
            connection.execute(INSERT_LOG, ("new", "1", 2))
            raise ValueError("Cannot parse row 2: bad amount")

    with pytest.raises(ValueError, match="Cannot parse row 2"):
        in_transaction(ledger, load)
    assert index_sql(ledger) == before
    assert ledger.execute("SELECT id FROM audit_logs").fetchall() == [("existing",)]


@pytest.mark.parametrize("small_runs_from", [0, bulk_load.SMALL_RUNS_MIN_ROWS])
def test_the_writers_cache_and_sorter_threads_are_restored_after_the_builds(
    ledger: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, small_runs_from: int
) -> None:
    monkeypatch.setattr(bulk_load, "SMALL_RUNS_MIN_ROWS", small_runs_from)
    before = index_sql(ledger)
    ledger.execute("PRAGMA cache_size = -65536")
    ledger.execute("PRAGMA threads = 0")

    def load(connection: sqlite3.Connection) -> None:
        with deferred_indexes(connection, TABLES):
            connection.executemany(INSERT_LOG, [(f"log{n}", "1", n) for n in range(100)])

    in_transaction(ledger, load)
    assert index_sql(ledger) == before
    assert ledger.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ledger.execute("PRAGMA cache_size").fetchone() == (-65536,)
    assert ledger.execute("PRAGMA threads").fetchone() == (0,)


@pytest.mark.parametrize("named", [set(), {"thrice", "twice"}, {"thrice"}])
def test_ids_named_as_repeated_leave_what_the_failed_build_leaves_and_spare_its_sorts(
    ledger: sqlite3.Connection, named: set[str]
) -> None:
    ledger.execute(INSERT_LOG, ("replaced", "1", 2))
    statements: list[str] = []
    ledger.set_trace_callback(statements.append)

    def load(connection: sqlite3.Connection) -> None:
        with deferred_indexes(connection, TABLES) as repeated_ids:
            connection.executemany(INSERT_LOG, REPEATED_IDS)
            repeated_ids["audit_logs"] = named | {"replaced"}

    in_transaction(ledger, load)
    ledger.set_trace_callback(None)
    rows = ledger.execute("SELECT id, change FROM audit_logs ORDER BY rowid").fetchall()
    assert rows == [("replaced", "2"), ("twice", "4"), ("thrice", "8")]
    id_builds = [sql for sql in statements if sql.startswith("CREATE UNIQUE INDEX audit_logs_id")]
    searches = [sql for sql in statements if "HAVING COUNT(*) > 1" in sql]
    if named == {"thrice", "twice"}:
        assert (len(id_builds), searches) == (1, [])
    else:
        assert (len(id_builds), len(searches)) == (2, 1)
