"""A backup's database must have the plain tables, columns and indexes that the migrations up to
its schema version make: a restore of another shape would leave an account that reads but fails
its writes ("table transactions has no column named notes"). It is refused before the swap, and
the account stays byte for byte as it was."""

from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.backup.helpers import changed_backup
from tests.backup.test_restore_foreign_objects import edited, refused_with, run
from tests.backup.test_restore_refusals import database_of
from tests.conftest import ACCOUNT_SCHEMA_VERSION

REFUSED = (
    "The backup's database states schema version {} but does not have its tables ({}); it was "
    "not made by privatefolio-daemon or was changed."
)

KEY_VALUE_AS_TEXT = (
    "CREATE TABLE kv (key VARCHAR PRIMARY KEY, value TEXT)",
    "INSERT INTO kv SELECT * FROM key_value",
    "DROP TABLE key_value",
    "ALTER TABLE kv RENAME TO key_value",
)

CHANGED: dict[str, tuple[tuple[str, ...], str]] = {
    "a column dropped": (
        ("ALTER TABLE transactions DROP COLUMN notes",),
        'no column "notes" in table "transactions"',
    ),
    "a column added": (
        ("ALTER TABLE transactions ADD COLUMN extra TEXT",),
        'unknown column "extra" in table "transactions"',
    ),
    "a column declared otherwise": (
        KEY_VALUE_AS_TEXT,
        'column "value" of table "key_value" is declared differently',
    ),
    "a table dropped": (("DROP TABLE chat_history",), 'no table "chat_history"'),
    "a table added": (("CREATE TABLE extra (a)",), 'unknown table "extra"'),
    "an index dropped": (
        ("DROP INDEX audit_logs_asset",),
        'no index "audit_logs_asset" on table "audit_logs"',
    ),
    "an index added": (
        ("CREATE INDEX by_wallet ON audit_logs (wallet)",),
        'unknown index "by_wallet" on table "audit_logs"',
    ),
    "the versions table of 0006's first text, which 0020 drops": (
        (
            "CREATE TABLE sync_versions (entity VARCHAR NOT NULL, recordId VARCHAR NOT NULL, "
            "version INTEGER NOT NULL, PRIMARY KEY (entity, recordId)) WITHOUT ROWID",
        ),
        'unknown table "sync_versions"',
    ),
    "an index made otherwise": (
        (
            "DROP INDEX audit_logs_asset",
            "CREATE INDEX audit_logs_asset ON audit_logs (assetId, timestamp DESC)",
        ),
        'index "audit_logs_asset" on table "audit_logs" is made differently',
    ),
}


@pytest.fixture
async def backup_database(client: DaemonClient, daemon: Daemon) -> bytes:
    """The database of a real backup of "main", which is then changed (a restore would show)."""
    return database_of(await changed_backup(client, daemon))


@pytest.mark.parametrize("case", CHANGED)
async def test_a_backup_whose_tables_differ_is_refused(
    daemon: Daemon, backup_database: bytes, tmp_path: Path, case: str
) -> None:
    statements, listed = CHANGED[case]
    database = edited(tmp_path, backup_database, run(*statements))
    expected = REFUSED.format(ACCOUNT_SCHEMA_VERSION, listed)
    await refused_with(daemon, tmp_path, database, expected)


async def test_a_database_with_only_two_tables_is_refused_whatever_version_it_states(
    daemon: Daemon, client: DaemonClient, tmp_path: Path
) -> None:
    await client.call("createAccount", "main")
    minimal = run(
        "CREATE TABLE key_value (key TEXT PRIMARY KEY, value)",
        "CREATE TABLE audit_logs (x)",
        "PRAGMA user_version = 5",
    )
    listed = (
        'no table "assets", no table "audit_log_tags", no column "id" in table "audit_logs", '
        'no column "assetId" in table "audit_logs", no column "balance" in table "audit_logs", '
        "and 40 more"
    )
    await refused_with(daemon, tmp_path, edited(tmp_path, None, minimal), REFUSED.format(5, listed))
