-- 0006_sync_feed.sql as commit 870c166 released it, before it was edited in place. Databases
-- made with this text are mended by 0020; until then their backups are restored too.

-- Multi-device sync (design §7). Every change to a record the user edits (manual transactions,
-- asset preferences, tags, settings) appends a row to `sync_changes`; its `seq` is the record's
-- new version. `sync_versions` keeps each record's current version, and `sync_events` the result
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
