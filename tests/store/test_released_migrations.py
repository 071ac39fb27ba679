"""A released migration is never edited in place: the databases that ran its text keep what that
text made, and would differ from those that run the new one (0006 and 0015 were edited so; 0020
mends what 0006's earlier texts made). A change goes in a new migration. The start of each
file's SHA-256 is listed here, line endings aside; a new migration adds its line when it is
written, and may change it until it is merged."""

import hashlib
from pathlib import Path

from privatefolio_daemon.resources import schema_dir

RELEASED = {
    "account/0001_initial.sql": "277f08d844cb9b01",
    "account/0002_leaner_indexes.sql": "21ada9c04796b1fd",
    "account/0003_droppable_id_indexes.sql": "d718691d3dedfa00",
    "account/0004_virtual_amount_columns.sql": "243cd5224a879a7e",
    "account/0005_wallet_balances.sql": "000ca9df7db2958c",
    "account/0006_sync_feed.sql": "893eb42a34c46859",
    "account/0007_tag_ids_not_reused.sql": "6498f805a4c5295a",
    "account/0008_file_import_contents.sql": "b6e731de54594708",
    "account/0009_non_usd_prices_fetched_again.sql": "eceedefdbbbde5ab",
    "account/0010_sync_event_fingerprints.sql": "747363c00158e9c3",
    "account/0011_merged_members.sql": "fb3ed56fc689a087",
    "account/0012_spam_cleared.sql": "5d1a857774962846",
    "account/0013_trade_pnl_made_again.sql": "63fd2200bdd1a6fc",
    "account/0014_price_requests.sql": "85552d414fb41c1c",
    "account/0015_spam_detected.sql": "bd00a2895d763749",
    "account/0016_patched_fields.sql": "e3c62e8f8c1f4b04",
    "account/0017_merged_member_patches.sql": "968135afec33884a",
    "account/0018_id_lineage.sql": "e3cbc5cfa8f18c38",
    "account/0019_unpriced_prices.sql": "22c4aca18793ec58",
    "account/0020_sync_feed_mended.sql": "0de470db71597b5a",
    "account/superseded/0006_sync_feed.2fe4630.sql": "6db3a028a62f54b1",
    "account/superseded/0006_sync_feed.870c166.sql": "64bd3ca8b50b0892",
    "server/0001_initial.sql": "978dbcc9acb49fce",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()[:16]


def test_no_released_migration_was_edited() -> None:
    root = schema_dir("account").parent
    found = {path.relative_to(root).as_posix(): digest(path) for path in root.rglob("*.sql")}
    edited = sorted(name for name, sha in RELEASED.items() if found.get(name) != sha)
    assert edited == [], "released migrations changed or removed: put the change in a new one"
    unlisted = sorted(found.keys() - RELEASED.keys())
    assert unlisted == [], "new migrations: list the start of their SHA-256 in RELEASED"
