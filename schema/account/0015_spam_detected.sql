-- The audit logs and transactions that spam detection tagged "spam", as opposed to a user. When
-- one of them no longer looks like spam (its asset was listed by a newer coin list or by the
-- user's coingeckoId), detection takes the tag off again; a "spam" tag a user put on stays.
-- A tag from before this migration counts as detection's when it has detection's footprint: an
-- EVM transaction without a fee, not a manual one, tagged together with every one of its audit
-- logs. A user tagging a transaction by hand rarely tags each of its logs too.

CREATE TABLE spam_detected (
  kind VARCHAR NOT NULL, -- auditLog or transaction
  itemId VARCHAR NOT NULL,
  PRIMARY KEY (kind, itemId)
) WITHOUT ROWID;

INSERT INTO spam_detected (kind, itemId)
SELECT 'transaction', tx.id
FROM tags
JOIN transaction_tags AS tagged ON tagged.tag_id = tags.id
JOIN transactions AS tx ON tx.id = tagged.transaction_id
WHERE tags.name = 'spam'
  AND substr(tx.platformId, 1, 6) = 'chain.'
  AND (tx.fee IS NULL OR tx.fee = '')
  AND substr(tx.id, 1, 7) <> 'MANUAL_'
  AND EXISTS (SELECT 1 FROM audit_logs AS log WHERE log.txId = tx.id)
  AND NOT EXISTS (
    SELECT 1 FROM audit_logs AS log
    WHERE log.txId = tx.id
      AND NOT EXISTS (
        SELECT 1 FROM audit_log_tags AS log_tag
        WHERE log_tag.audit_log_id = log.id AND log_tag.tag_id = tags.id
      )
  );

INSERT INTO spam_detected (kind, itemId)
SELECT 'auditLog', log.id
FROM spam_detected AS detected
JOIN audit_logs AS log ON log.txId = detected.itemId
WHERE detected.kind = 'transaction';
