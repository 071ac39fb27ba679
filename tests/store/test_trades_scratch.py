"""Applying a trades run computed in a scratch file writes only the rows that differ from the
ledger's, and leaves the ledger's trades tables exactly as the scratch ones (hypothesis)."""

import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain.trades_offline import apply_if_current, compute_in_scratch
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.trades_writes import TRADE_ID, record_trades_writes, trades_writes

Tables = dict[str, list[tuple[Any, ...]]]

# Values that SQLite may store alike ("1" and 1 in a text column, 1 and 1.0 in a JSON one) or not
present = st.sampled_from([1, 1.0, "1", "1.0", "01", "a"])
values = st.none() | present
trade_ids = st.sampled_from(["t1", "t2", "t3"])
tables = st.fixed_dictionaries(
    {
        "trades": st.dictionaries(trade_ids, st.tuples(st.integers(1, 2), present, values)).map(
            lambda rows: [
                (id_, number, "ex.binance:BTC", amount, "2", 0, None, None, "open", "Long",
                 cost, None, None, None)
                for id_, (number, amount, cost) in rows.items()
            ]
        ),
        "trade_audit_logs": st.sets(st.tuples(trade_ids, st.sampled_from(["l1", "l2"]))).map(list),
        "trade_transactions": st.sets(st.tuples(trade_ids, st.sampled_from(["x1"]))).map(list),
        "trade_pnl": st.dictionaries(st.sampled_from(["p1", "p2", "p3"]),
                                     st.tuples(trade_ids, values, values)).map(
            lambda rows: [
                (id_, trade, 0, value, "1", "0", "0", "0", pnl)
                for id_, (trade, value, pnl) in rows.items()
            ]
        ),
    }
)  # fmt: skip
SAME: Tables = {
    "trades": [("t1", 1, "ex.binance:BTC", "1", "2", 0, None, None, "open", "Long", "1.0", None,
                None, None)],
    "trade_audit_logs": [("t1", "l1")],
    "trade_transactions": [],
    "trade_pnl": [("p1", "t1", 0, 1, "1", "0", "0", "0", None)],
}  # fmt: skip


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "account.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    connection.close()
    return path


@contextmanager
def ledger_with(migrated: Path, rows: Tables) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A copy of the migrated ledger in a directory of its own, with ``rows``."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "account.sqlite"
        shutil.copy(migrated, path)
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA synchronous = OFF")
        try:
            write(connection, rows)
            yield path, connection
        finally:
            connection.close()


def write(connection: sqlite3.Connection, rows: Tables) -> None:
    """The trades tables of ``main`` hold ``rows``, and nothing else."""
    for table, table_rows in rows.items():
        connection.execute(f"DELETE FROM {table}")
        if table_rows:
            marks = ", ".join("?" for _ in table_rows[0])
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", table_rows)


def stored(connection: sqlite3.Connection) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of the trades tables, each value with its type."""
    return {
        table: Counter(
            tuple((type(value).__name__, value) for value in row)
            for row in connection.execute(f"SELECT * FROM main.{table}")
        )
        for table in TRADE_ID
    }


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=tables, after=tables, refresh=st.booleans())
@example(before=SAME, after=SAME, refresh=False)
def test_the_ledger_ends_as_the_scratch_file_writing_only_the_rows_that_differ(
    migrated: Path, before: Tables, after: Tables, refresh: bool
) -> None:
    """``refresh``: the run starts from a copy of the ledger's trades, else from none."""
    with ledger_with(migrated, before) as (path, ledger):
        scratch = path.with_name("scratch")
        snapshot = compute_in_scratch(
            path, scratch, lambda conn: write(conn, after), () if refresh else None
        )
        with closing(sqlite3.connect(scratch)) as computed_in:
            computed = stored(computed_in)
        old = stored(ledger)
        record_trades_writes(ledger)

        assert apply_if_current(ledger, scratch, snapshot, ()) == {}

        assert stored(ledger) == computed
        written = Counter((table, op) for table, op, _ in trades_writes(ledger))
        assert written == Counter(
            {(table, "DELETE"): (old[table] - computed[table]).total() for table in TRADE_ID}
            | {(table, "INSERT"): (computed[table] - old[table]).total() for table in TRADE_ID}
        )
