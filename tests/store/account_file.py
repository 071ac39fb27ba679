"""Account database files for tests of the store on its own: one with the current schema, and
one made with a text a migration had before it was edited in place."""

import sqlite3
from pathlib import Path

from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import Migration, load_migrations, migrate


def migrated_account(directory: Path) -> sqlite3.Connection:
    """``account.sqlite`` in ``directory``, migrated, open in autocommit mode."""
    path = directory / "account.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, load_migrations(schema_dir("account")), path)
    return connection


def account_made_with(path: Path, superseded: str, version: int) -> sqlite3.Connection:
    """An account database at schema ``version``, made with the text ``superseded`` (a file of
    ``schema/account/superseded``) in place of its migration, open in autocommit mode."""
    text = Migration(int(superseded[:4]), schema_dir("account") / "superseded" / superseded)
    made = [
        text if migration.version == text.version else migration
        for migration in load_migrations(schema_dir("account"))
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, made[:version], path)
    return connection


#: What the first sync feed (0006 as 870c166 released it) holds after tag 1 was renamed and tag 2
#: created and deleted: every change, and each record's version in ``sync_versions``.
FIRST_FEED = (
    "INSERT INTO tags (id, name) VALUES (1, 'a')",
    "INSERT INTO sync_changes (seq, entity, recordId, record, timestamp) VALUES "
    "(1, 'tag', '1', '{\"id\":1,\"name\":\"x\"}', 1000), "
    "(2, 'tag', '2', '{\"id\":2,\"name\":\"b\"}', 2000), "
    "(3, 'tag', '1', '{\"id\":1,\"name\":\"a\"}', 3000), "
    "(4, 'tag', '2', NULL, 4000)",
    "INSERT INTO sync_versions (entity, recordId, version) VALUES ('tag', '1', 3), ('tag', '2', 4)",
)
