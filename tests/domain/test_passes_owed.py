"""A pass takes off only the mark it saw: a change made while it ran leaves the pass owed."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.derived_steps import AUTO_MERGE, DETECT_SPAM
from privatefolio_daemon.domain.passes_owed import (
    mark_passes_owed,
    owed_mark,
    owed_passes,
    settle_pass,
)
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate


def account(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "main.sqlite", isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), tmp_path / "main.sqlite")
    return connection


def test_a_change_during_a_pass_keeps_it_owed(tmp_path: Path) -> None:
    connection = account(tmp_path)
    assert owed_passes(connection) == []
    mark_passes_owed(connection)
    seen = owed_mark(connection, AUTO_MERGE)
    mark_passes_owed(connection)  # another import while auto-merge runs
    settle_pass(connection, AUTO_MERGE, seen)
    assert owed_passes(connection) == [AUTO_MERGE, DETECT_SPAM]

    settle_pass(connection, AUTO_MERGE, owed_mark(connection, AUTO_MERGE))
    settle_pass(connection, DETECT_SPAM, owed_mark(connection, DETECT_SPAM))
    assert owed_passes(connection) == []
