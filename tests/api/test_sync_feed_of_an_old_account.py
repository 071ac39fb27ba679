"""An account made when migration 0006 had its first text (870c166: a versions table beside the
feed, and every change of a record kept) works as any other once upgraded: the feed holds each
record once, an edit of a deleted record finds its deletion, and its backups are restored, those
made before the upgrade mended it too. A device that followed a feed older than the
connections, synced values or taggings in it reads a new snapshot."""

from pathlib import Path
from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.backup.helpers import restore_over_rpc, upload
from tests.backup.test_restore_refusals import zip_of
from tests.conftest import make_config, running_daemon
from tests.store.account_file import FIRST_FEED, account_made_with

FIRST_TEXT = "0006_sync_feed.870c166.sql"


def old_account(path: Path, version: int) -> None:
    """Tag 1 renamed, tag 2 created and deleted, at schema ``version``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = account_made_with(path, FIRST_TEXT, version)
    for statement in FIRST_FEED:
        connection.execute(statement)
    connection.close()


def changes(page: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(c["entity"], c["recordId"], c["deleted"]) for c in page["changes"]]


async def test_the_feed_of_an_old_account_holds_each_record_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old_account(data_dir / "databases" / "main.sqlite", 6)
    async with running_daemon(make_config(data_dir)) as (_, client):
        page = await client.call("getChanges", "main", 0)
        assert [(c["seq"], c["recordId"], c["record"]) for c in page["changes"]] == [
            (3, "1", {"id": 1, "name": "a"}),
            (4, "2", None),
        ]
        [deleted] = await client.call(
            "submitEvents", "main", [{"eventId": "e1", "type": "tag.delete", "recordId": "2"}]
        )
        assert (deleted["status"], deleted["version"], deleted["record"]) == ("applied", 4, None)


async def test_a_backup_of_an_old_account_is_restored(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old_account(data_dir / "databases" / "main.sqlite", 6)
    async with running_daemon(make_config(data_dir)) as (_, client):
        backup = await client.call("enqueueBackup", "main")
        await client.call("upsertTags", "main", ["after the backup"])

        assert await restore_over_rpc(client, "main", backup) is None

        tags = await client.call("getTags", "main")
        assert [tag["name"] for tag in tags] == ["a"]


async def test_a_backup_made_before_the_upgrade_mended_the_feed_is_restored(
    tmp_path: Path, daemon: Daemon, client: DaemonClient
) -> None:
    old_account(tmp_path / "old.sqlite", 18)
    await client.call("createAccount", "main")
    uploaded = await upload(
        client, daemon, "main", zip_of({"database.sqlite": (tmp_path / "old.sqlite").read_bytes()})
    )

    assert await restore_over_rpc(client, "main", uploaded) is None

    assert changes(await client.call("getChanges", "main", 0)) == [
        ("tag", "1", False),
        ("tag", "2", True),
        ("settings", "settings", False),
    ]


async def test_a_device_that_followed_a_feed_older_than_taggings_reads_a_new_snapshot(
    tmp_path: Path,
) -> None:
    """At 2fe4630 the tags on an item were not in the feed: a tagging made then sits at version
    0, and only a new snapshot shows it to a device that followed the feed."""
    path = tmp_path / "data" / "databases" / "main.sqlite"
    path.parent.mkdir(parents=True)
    connection = account_made_with(path, "0006_sync_feed.2fe4630.sql", 7)
    connection.execute("INSERT INTO tags (id, name) VALUES (1, 'otc')")
    connection.execute("INSERT INTO transaction_tags (transaction_id, tag_id) VALUES ('t1', 1)")
    connection.execute(
        "INSERT INTO sync_changes (seq, entity, recordId, record, timestamp) "
        "VALUES (1, 'tag', '1', '{\"id\":1,\"name\":\"otc\"}', 1000)"
    )
    old_feed = connection.execute(
        "SELECT value FROM key_value WHERE key = 'sync_feed_id'"
    ).fetchone()[0]
    connection.close()
    async with running_daemon(make_config(tmp_path / "data")) as (_, client):
        page = await client.call("getChanges", "main", 1, 500, old_feed)
        assert (page["reset"], page["feedId"] != old_feed) == (True, True)
        snapshot = await client.call("getSnapshot", "main")
        assert {"kind": "transaction", "itemId": "t1", "tagIds": [1]} in [
            record["record"] for record in snapshot["records"] if record["entity"] == "tagging"
        ]
