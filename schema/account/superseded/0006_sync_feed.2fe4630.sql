-- 0006_sync_feed.sql as commit 2fe4630 released it, before it was edited in place. Databases
-- made with this text are mended by 0020; until then their backups are restored too.

-- Multi-device sync (design §7). Every change to a synced record (manual transactions, asset
-- preferences, tags, settings, connections) appends a row to `sync_changes`, whose `seq` is the
-- record's new version, and removes the record's earlier row: the feed holds the latest change
-- of each record, so it grows with the records, not with the edits. `sync_versions` keeps each record's current version, and `sync_events` the result
-- of every event a client submitted, so that a retried event returns what it returned first.
-- `sync_feed_id` names this feed: a client that holds another id must read a new snapshot.

CREATE TABLE sync_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  entity VARCHAR NOT NULL,
  recordId VARCHAR NOT NULL,
  record JSON,
  eventId VARCHAR,
  timestamp INTEGER NOT NULL
);
CREATE INDEX sync_changes_record ON sync_changes (entity, recordId);

CREATE TABLE sync_versions (
  entity VARCHAR NOT NULL,
  recordId VARCHAR NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (entity, recordId)
) WITHOUT ROWID;

CREATE TABLE sync_events (
  eventId VARCHAR PRIMARY KEY,
  result JSON NOT NULL,
  acceptedAt INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR REPLACE INTO key_value (key, value) VALUES ('sync_feed_id', 'feed_' || lower(hex(randomblob(16))));
