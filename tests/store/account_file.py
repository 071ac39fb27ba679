"""An account database file with the current schema, for tests of the store on its own."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate


def migrated_account(directory: Path) -> sqlite3.Connection:
    """``account.sqlite`` in ``directory``, migrated, open in autocommit mode."""
    path = directory / "account.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    return connection
