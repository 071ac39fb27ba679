"""Migration 0020 mends the sync feed of an account that ran an earlier text of 0006: each record
keeps its latest change, and the tables are those 0006 makes now. A feed whose connections,
synced values or taggings sit at version 0 (they joined the feed after it began) is named anew,
so that devices read a new snapshot. A database that ran 0006 as it is stays as it was."""

import sqlite3
from pathlib import Path

import pytest

from privatefolio_daemon.domain.backup.table_check import table_shapes
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.store.account_file import FIRST_FEED, account_made_with, migrated_account

MIGRATIONS = load_migrations(schema_dir("account"))
TAG_A = '{"id":1,"name":"a"}'

#: The feed as the second text (2fe4630) left it: one change per record, versions kept aside.
SECOND_FEED = (
    "INSERT INTO tags (id, name) VALUES (1, 'a')",
    "INSERT INTO sync_changes (seq, entity, recordId, record, timestamp) VALUES "
    f"(3, 'tag', '1', '{TAG_A}', 3000), (4, 'tag', '2', NULL, 4000)",
    "INSERT INTO sync_versions (entity, recordId, version) VALUES ('tag', '1', 3), ('tag', '2', 4)",
)

OLD_ACCOUNTS = {
    "first text, schema 6": ("0006_sync_feed.870c166.sql", 6, FIRST_FEED),
    "first text, schema 18": ("0006_sync_feed.870c166.sql", 18, FIRST_FEED),
    "second text, schema 7": ("0006_sync_feed.2fe4630.sql", 7, SECOND_FEED),
    "second text, schema 18": ("0006_sync_feed.2fe4630.sql", 18, SECOND_FEED),
}


def feed(connection: sqlite3.Connection) -> list[tuple[object, ...]]:
    return connection.execute(
        "SELECT seq, entity, recordId, record, timestamp FROM sync_changes ORDER BY seq"
    ).fetchall()


def feed_id(connection: sqlite3.Connection) -> str:
    row = connection.execute("SELECT value FROM key_value WHERE key = 'sync_feed_id'").fetchone()
    return str(row[0])


def run(connection: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        connection.execute(statement)


@pytest.mark.parametrize("case", OLD_ACCOUNTS)
def test_an_account_of_an_earlier_text_keeps_each_records_latest_change_in_todays_tables(
    tmp_path: Path, case: str
) -> None:
    superseded, version, rows = OLD_ACCOUNTS[case]
    path = tmp_path / "main.sqlite"
    connection = account_made_with(path, superseded, version)
    run(connection, *rows)
    named = feed_id(connection)

    migrate(connection, MIGRATIONS, path)

    assert feed(connection) == [(3, "tag", "1", TAG_A, 3000), (4, "tag", "2", None, 4000)]
    assert table_shapes(connection) == table_shapes(migrated_account(tmp_path))
    assert feed_id(connection) == named
    one_change_a_record = r"UNIQUE constraint failed: sync_changes\.entity, sync_changes\.recordId"
    with pytest.raises(sqlite3.IntegrityError, match=one_change_a_record):
        connection.execute(
            "INSERT INTO sync_changes (entity, recordId, timestamp) VALUES ('tag', '1', 5000)"
        )


#: A record of each kind that joined the feed late, with its change: none sits at version 0.
EVERY_KIND_WITH_ITS_CHANGE = (
    "INSERT INTO tags (id, name) VALUES (1, 'a')",
    "INSERT INTO connections (id, connectionNumber, extensionId, platformId, timestamp) "
    "VALUES ('c1', 1, 'binance-connection', 'ex.binance', 1000)",
    "INSERT INTO key_value (key, value) VALUES ('address_book', '{}')",
    "INSERT INTO transaction_tags (transaction_id, tag_id) VALUES ('t1', 1)",
    "INSERT INTO audit_log_tags (audit_log_id, tag_id) VALUES ('l1', 1)",
    "INSERT INTO trade_tags (trade_id, tag_id) VALUES ('r1', 1)",
    "INSERT INTO sync_changes (seq, entity, recordId, record, timestamp) VALUES "
    f"(1, 'tag', '1', '{TAG_A}', 1000), "
    "(2, 'connection', 'c1', '{}', 1000), "
    "(3, 'value', 'address_book', '{}', 1000), "
    "(4, 'tagging', 'transaction:t1', '{}', 1000), "
    "(5, 'tagging', 'auditLog:l1', '{}', 1000), "
    "(6, 'tagging', 'trade:r1', '{}', 1000)",
)


def account_of_schema_18(tmp_path: Path) -> tuple[sqlite3.Connection, Path]:
    path = tmp_path / "main.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, MIGRATIONS[:18], path)
    return connection, path


def test_an_account_that_ran_0006_as_it_is_stays_as_it_was(tmp_path: Path) -> None:
    connection, path = account_of_schema_18(tmp_path)
    run(connection, *EVERY_KIND_WITH_ITS_CHANGE)
    named, changes = feed_id(connection), feed(connection)

    migrate(connection, MIGRATIONS, path)

    assert (feed_id(connection), feed(connection)) == (named, changes)


AT_VERSION_0 = {
    "a connection": "DELETE FROM sync_changes WHERE entity = 'connection'",
    "the address book": "DELETE FROM sync_changes WHERE recordId = 'address_book'",
    "a transaction's tags": "DELETE FROM sync_changes WHERE recordId = 'transaction:t1'",
    "an audit log's tags": "DELETE FROM sync_changes WHERE recordId = 'auditLog:l1'",
    "a trade's tags": "DELETE FROM sync_changes WHERE recordId = 'trade:r1'",
}


@pytest.mark.parametrize("case", AT_VERSION_0)
def test_a_feed_with_a_record_of_a_late_kind_at_version_0_is_named_anew(
    tmp_path: Path, case: str
) -> None:
    connection, path = account_of_schema_18(tmp_path)
    run(connection, *EVERY_KIND_WITH_ITS_CHANGE, AT_VERSION_0[case])
    named, changes = feed_id(connection), feed(connection)

    migrate(connection, MIGRATIONS, path)

    assert feed(connection) == changes
    assert feed_id(connection) != named
    assert feed_id(connection).startswith("feed_") and len(feed_id(connection)) == 37
