"""An account database in memory, migrated to the latest schema, for tests of SQL-level code."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate


@contextmanager
def account_db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(connection, load_migrations(schema_dir("account")), Path("memory.sqlite"))
        yield connection
    finally:
        connection.close()
