-- The audit logs and transactions a user took the "spam" tag off. Spam detection runs again after
-- each import and would tag them again; it leaves these alone. Tagging one "spam" again by hand
-- removes it from here.

CREATE TABLE spam_cleared (
  kind VARCHAR NOT NULL, -- auditLog or transaction
  itemId VARCHAR NOT NULL,
  PRIMARY KEY (kind, itemId)
) WITHOUT ROWID;
