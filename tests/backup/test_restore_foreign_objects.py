"""A backup's database may hold only the views, triggers and virtual tables that the daemon's
migrations create: those run code (a native module, a trigger on the daemon's own writes). Any
other is refused by name and the account stays byte for byte as it was; a Privatefolio backend
database brings only the rows of its tables."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.domain.backup.errors import BackupError
from privatefolio_daemon.domain.backup.progress_bridge import no_checkpoint
from privatefolio_daemon.resources import schema_dir
from privatefolio_daemon.store.migrations import load_migrations, migrate
from tests.backup.helpers import changed_backup, checkpoint, fill_account
from tests.backup.test_restore_refusals import database_of, ignore, live_state, zip_of

MIGRATIONS = load_migrations(schema_dir("account"))
REFUSED = (
    "The backup's database has objects this daemon does not create ({}); it was not made by "
    "privatefolio-daemon or was changed."
)
Edit = Callable[[sqlite3.Connection], object]


@pytest.fixture
async def backup_database(client: DaemonClient, daemon: Daemon) -> bytes:
    """The database of a real backup of "main", which is then changed (a restore would show)."""
    return database_of(await changed_backup(client, daemon))


def edited(tmp_path: Path, source: bytes | None, *edits: Edit) -> bytes:
    path = tmp_path / "edited.sqlite"
    path.unlink(missing_ok=True)
    if source is not None:
        path.write_bytes(source)
    connection = sqlite3.connect(path, isolation_level=None)
    for edit in edits:
        edit(connection)
    connection.close()
    return path.read_bytes()


def run(*statements: str) -> Edit:
    def edit(connection: sqlite3.Connection) -> None:
        for statement in statements:
            connection.execute(statement)

    return edit


def crafted_entry(type_: str, name: str, sql: str) -> Edit:
    """An entry written straight into ``sqlite_master``, as a hand-made file could have it."""

    def edit(connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
            "VALUES (?, ?, ?, 0, ?)",
            (type_, name, name, sql),
        )
        connection.execute("PRAGMA writable_schema = OFF")

    return edit


async def refused_with(
    daemon: Daemon, tmp_path: Path, database: bytes, expected: str | None
) -> str:
    """Restore a zip of ``database`` into "main": it must fail and change nothing."""
    archive = tmp_path / "backup.zip"
    archive.write_bytes(zip_of({"database.sqlite": database}))
    await checkpoint(daemon, "main")
    before = live_state(daemon)
    with pytest.raises(BackupError) as refused:
        await daemon.backups.restores.restore("main", archive, ignore, no_checkpoint)
    await checkpoint(daemon, "main")
    assert live_state(daemon) == before
    if expected is not None:
        assert str(refused.value) == expected
    return str(refused.value)


FOREIGN: dict[str, tuple[list[Edit], str]] = {
    "fts3 virtual table": (
        [run("CREATE VIRTUAL TABLE notes_fts USING fts3(body)")],
        'virtual table "notes_fts"',
    ),
    "trigger on the daemon's writes": (
        [run("CREATE TRIGGER x AFTER INSERT ON audit_logs BEGIN DELETE FROM key_value; END")],
        'trigger "x"',
    ),
    "view": ([run("CREATE VIEW everything AS SELECT * FROM audit_logs")], 'view "everything"'),
    "our view, redefined": (
        [
            run(
                "DROP VIEW favorite_assets",
                "CREATE VIEW favorite_assets AS SELECT * FROM assets",
            )
        ],
        'view "favorite_assets"',
    ),
    "several": (
        [
            run(
                "CREATE TRIGGER x AFTER UPDATE ON key_value BEGIN SELECT 1; END",
                "CREATE VIRTUAL TABLE notes_fts USING fts3(body)",
                "CREATE VIRTUAL TABLE shapes USING rtree(id, x0, x1)",
                "CREATE VIEW v1 AS SELECT 1",
                "CREATE VIEW v2 AS SELECT 2",
                "CREATE VIEW v3 AS SELECT 3",
            )
        ],
        'trigger "x", virtual table "notes_fts", virtual table "shapes", view "v1", view "v2", '
        "and 1 more",
    ),
    "virtual table of a module SQLite lacks": (
        [crafted_entry("table", "evil", "CREATE VIRTUAL TABLE evil USING evil_module(a)")],
        'virtual table "evil"',
    ),
    "virtual table whose entry says table": (
        [crafted_entry("table", "evil", "CREATE  VIRTUAL TABLE evil USING fts3(a)")],
        'table "evil"',
    ),
}


@pytest.mark.parametrize("case", FOREIGN)
async def test_a_backup_with_a_foreign_object_is_refused(
    daemon: Daemon, backup_database: bytes, tmp_path: Path, case: str
) -> None:
    edits, listed = FOREIGN[case]
    database = edited(tmp_path, backup_database, *edits)
    await refused_with(daemon, tmp_path, database, REFUSED.format(listed))


async def test_the_untouched_backup_restores(
    daemon: Daemon, backup_database: bytes, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.zip"
    archive.write_bytes(zip_of({"database.sqlite": backup_database}))
    await daemon.backups.restores.restore("main", archive, ignore, no_checkpoint)
    rows = await daemon.accounts.get("main").fetch_all("SELECT id FROM audit_logs")
    assert len(rows) == 300


def older_account(connection: sqlite3.Connection) -> None:
    migrate(connection, MIGRATIONS[:-1], Path("older.sqlite"))
    fill_account(connection, 10)


async def test_an_older_schema_has_the_objects_of_its_version(
    daemon: Daemon, backup_database: bytes, tmp_path: Path
) -> None:
    trigger = run("CREATE TRIGGER x AFTER INSERT ON audit_logs BEGIN SELECT 1; END")
    database = edited(tmp_path, None, older_account, trigger)
    await refused_with(daemon, tmp_path, database, REFUSED.format('trigger "x"'))
    archive = tmp_path / "older.zip"
    archive.write_bytes(zip_of({"database.sqlite": edited(tmp_path, None, older_account)}))
    await daemon.backups.restores.restore("main", archive, ignore, no_checkpoint)
    rows = await daemon.accounts.get("main").fetch_all("SELECT id FROM audit_logs")
    assert len(rows) == 10


# -- a Privatefolio backend database (schema version 0) -------------------------------------

PRIVATEFOLIO_SCHEMA = (
    "CREATE TABLE key_value (key VARCHAR PRIMARY KEY, value JSON)",
    "CREATE TABLE assets (id VARCHAR PRIMARY KEY, symbol VARCHAR NOT NULL, name VARCHAR, "
    "logoUrl VARCHAR, priceApiId VARCHAR, coingeckoId VARCHAR, favorite BOOLEAN)",
    "CREATE VIEW favorite_assets AS\n      SELECT * FROM assets WHERE favorite = true",
    "CREATE TABLE audit_logs (id VARCHAR PRIMARY KEY, assetId VARCHAR NOT NULL, "
    "balance VARCHAR, change VARCHAR NOT NULL, importIndex INTEGER NOT NULL, "
    "operation VARCHAR NOT NULL, platformId VARCHAR NOT NULL, timestamp INTEGER NOT NULL, "
    "wallet VARCHAR NOT NULL)",
    "INSERT INTO assets (id, symbol, favorite) VALUES ('binance:BTC', 'BTC', 1)",
    "INSERT INTO audit_logs VALUES ('a1', 'binance:BTC', '1', '1', 0, 'Deposit', 'binance', "
    "1600000000000, 'Spot')",
)


async def test_a_privatefolio_database_brings_its_rows_and_none_of_its_views(
    daemon: Daemon, backup_database: bytes, tmp_path: Path
) -> None:
    archive = tmp_path / "privatefolio.zip"
    archive.write_bytes(
        zip_of({"database.sqlite": edited(tmp_path, None, run(*PRIVATEFOLIO_SCHEMA))})
    )
    await daemon.backups.restores.restore("main", archive, ignore, no_checkpoint)
    db = daemon.accounts.get("main")
    assert [tuple(row) for row in await db.fetch_all("SELECT id FROM audit_logs")] == [("a1",)]
    views = await db.fetch_all("SELECT sql FROM sqlite_master WHERE type = 'view'")
    assert [row[0] for row in views] == [
        "CREATE VIEW favorite_assets AS SELECT * FROM assets WHERE favorite = 1"
    ]
    assert await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'trigger'") == []


PRIVATEFOLIO_FOREIGN: dict[str, tuple[tuple[str, ...], str]] = {
    "trigger": (
        ("CREATE TRIGGER x AFTER INSERT ON audit_logs BEGIN DELETE FROM assets; END",),
        'trigger "x"',
    ),
    "virtual table": (
        ("CREATE VIRTUAL TABLE notes_fts USING fts3(body)",),
        'virtual table "notes_fts"',
    ),
    "other view": (("CREATE VIEW everything AS SELECT * FROM audit_logs",), 'view "everything"'),
    "audit_logs a view": (
        (
            "ALTER TABLE audit_logs RENAME TO real_logs",
            "CREATE VIEW audit_logs AS SELECT * FROM real_logs",
        ),
        'view "audit_logs"',
    ),
}


@pytest.mark.parametrize("case", PRIVATEFOLIO_FOREIGN)
async def test_a_privatefolio_database_with_a_foreign_object_is_refused(
    daemon: Daemon, backup_database: bytes, tmp_path: Path, case: str
) -> None:
    statements, listed = PRIVATEFOLIO_FOREIGN[case]
    database = edited(tmp_path, None, run(*PRIVATEFOLIO_SCHEMA, *statements))
    await refused_with(daemon, tmp_path, database, REFUSED.format(listed))


async def test_a_backup_without_our_view_is_refused(
    daemon: Daemon, backup_database: bytes, tmp_path: Path
) -> None:
    database = edited(tmp_path, backup_database, run("DROP VIEW favorite_assets"))
    version = len(MIGRATIONS)
    await refused_with(
        daemon,
        tmp_path,
        database,
        f"The backup's database states schema version {version} but lacks objects of it "
        '(view "favorite_assets"); it was not made by privatefolio-daemon or was changed.',
    )
