"""Task rows the writer has not written yet: read in place of the table's, for one read only;
and written by restart recovery when the last process died before the writer got to them."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.store import server_tasks
from privatefolio_daemon.store.client_sql import run_client_query
from privatefolio_daemon.store.database import connect_read_only
from privatefolio_daemon.store.unwritten_tasks import reading_unwritten


def task(task_id: int, name: str, status: str, **fields: object) -> tuple[object, ...]:
    return server_tasks.task_row(id=task_id, name=name, status=status, createdAt=1, **fields)


def reader(path: Path) -> sqlite3.Connection:
    connection = connect_read_only(path)
    connection.isolation_level = None
    connection.execute("PRAGMA query_only = 1")
    return connection


def test_unwritten_rows_are_read_in_place_of_the_tables_for_one_read(
    ledger: sqlite3.Connection, tmp_path: Path
) -> None:
    server_tasks.insert_rows(ledger, [task(1, "Import", "running"), task(2, "Sleep", "queued")])
    unwritten = [task(2, "Sleep", "cancelled"), task(3, "Refresh balances", "queued")]
    connection = reader(tmp_path / "account.sqlite")

    def query(sql: str, *params: object) -> object:
        return reading_unwritten(unwritten, lambda conn: run_client_query(conn, sql, params, 5.0))(
            connection
        )

    assert query("SELECT id, name, status FROM server_tasks ORDER BY id DESC LIMIT 2") == [
        (3, "Refresh balances", "queued"),
        (2, "Sleep", "cancelled"),
    ]
    assert query("SELECT COUNT(*) FROM server_tasks WHERE status = ?", "queued") == [(1,)]
    assert query("SELECT * FROM server_tasks WHERE id = 3") == [unwritten[1]]
    assert connection.execute("SELECT id, status FROM server_tasks ORDER BY id").fetchall() == [
        (1, "running"),
        (2, "queued"),
    ]
    assert connection.execute("PRAGMA query_only").fetchone() == (1,)


def test_restart_recovery_writes_the_rows_the_last_process_left_unwritten(
    ledger: sqlite3.Connection,
) -> None:
    server_tasks.insert_rows(
        ledger,
        [
            task(1, "Import", "running"),
            task(2, "Sleep", "queued"),
            task(3, "Backup", "queued"),
            task(4, "Other", "completed"),
        ],
    )
    unwritten = [
        task(2, "Sleep", "cancelled", completedAt=5, errorMessage="Task cancelled by user."),
        task(3, "Backup", "queued"),
        task(4, "Not this one", "queued"),  # the id names another task
        task(5, "Refresh balances", "queued"),
        task(6, "Fetch asset prices", "cancelled", completedAt=5, errorMessage="Task cancelled."),
    ]

    names = server_tasks.recover_after_restart(ledger, "Server restarted.", unwritten)

    assert names == ["Import", "Backup", "Refresh balances"]
    assert ledger.execute(
        "SELECT id, name, status, errorMessage FROM server_tasks ORDER BY id"
    ).fetchall() == [
        (1, "Import", "aborted", "Server restarted."),
        (2, "Sleep", "cancelled", "Task cancelled by user."),
        (3, "Backup", "cancelled", "Server restarted."),
        (4, "Other", "completed", None),
        (5, "Refresh balances", "cancelled", "Server restarted."),
        (6, "Fetch asset prices", "cancelled", "Task cancelled."),
    ]
    assert server_tasks.highest_id(ledger) == 6


def test_a_row_written_under_a_given_id_by_other_means_moves_aside(
    ledger: sqlite3.Connection,
) -> None:
    ledger.execute("INSERT INTO server_tasks (name, createdAt) VALUES ('by executeSql', 1)")

    server_tasks.insert_rows(ledger, [task(1, "Refresh balances", "queued")])

    assert ledger.execute("SELECT id, name FROM server_tasks ORDER BY id").fetchall() == [
        (1, "Refresh balances"),
        (2, "by executeSql"),
    ]
    assert server_tasks.highest_id(ledger) == 2
