-- 0006 was edited after accounts had run it (its earlier texts are in superseded/). An account
-- that ran the first text keeps a `sync_versions` table, no `sync_changes_record` index and
-- several changes of one record; one that ran the second keeps `sync_versions` and a non-unique
-- index. The feed's lookups then read a record's oldest change, and a backup of the account is
-- refused as not made by the daemon. Each record keeps its latest change (its version), and the
-- tables are those 0006 makes now. On a database that ran 0006 as it is, nothing changes.

DROP TABLE IF EXISTS sync_versions;

DELETE FROM sync_changes
WHERE seq NOT IN (SELECT MAX(seq) FROM sync_changes GROUP BY entity, recordId);

DROP INDEX IF EXISTS sync_changes_record;
CREATE UNIQUE INDEX sync_changes_record ON sync_changes (entity, recordId);

-- Connections, synced values and taggings joined the feed after it began, without a change for
-- the records that were there: those sit at version 0, and a device that followed the feed
-- before never hears of them from `getChanges`. Naming the feed anew makes each device read a
-- new snapshot (docs/sync.md). A feed where every such record has a change keeps its name.

UPDATE key_value SET value = 'feed_' || lower(hex(randomblob(16)))
WHERE key = 'sync_feed_id' AND (
  EXISTS (
    SELECT 1 FROM connections AS item WHERE NOT EXISTS (
      SELECT 1 FROM sync_changes
      WHERE entity = 'connection' AND recordId = item.id
    )
  )
  OR EXISTS (
    SELECT 1 FROM key_value AS item
    WHERE item.key IN ('address_book', 'assistant_custom_api_url') AND item.value IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM sync_changes WHERE entity = 'value' AND recordId = item.key
      )
  )
  OR EXISTS (
    SELECT 1 FROM transaction_tags AS item WHERE NOT EXISTS (
      SELECT 1 FROM sync_changes
      WHERE entity = 'tagging' AND recordId = 'transaction:' || item.transaction_id
    )
  )
  OR EXISTS (
    SELECT 1 FROM audit_log_tags AS item WHERE NOT EXISTS (
      SELECT 1 FROM sync_changes
      WHERE entity = 'tagging' AND recordId = 'auditLog:' || item.audit_log_id
    )
  )
  OR EXISTS (
    SELECT 1 FROM trade_tags AS item WHERE NOT EXISTS (
      SELECT 1 FROM sync_changes
      WHERE entity = 'tagging' AND recordId = 'trade:' || item.trade_id
    )
  )
);
