-- What auto-merge replaced. A merged transaction stands for two or three imported ones, often
-- from different file imports or connections. Removing one of those now gives the others their
-- own transactions back (merged again where two remain), instead of leaving a merged transaction
-- with the removed import's amounts, or audit logs pointing at a merged transaction that is gone.
-- Merges made before this migration were not recorded; they are kept as they are.

CREATE TABLE merged_members (
  memberId VARCHAR PRIMARY KEY,
  mergedId VARCHAR NOT NULL,
  fileImportId VARCHAR,
  connectionId VARCHAR,
  row TEXT NOT NULL -- the member's transactions row, as a JSON object of its columns
);
CREATE INDEX merged_members_merged ON merged_members (mergedId);
CREATE INDEX merged_members_file_import ON merged_members (fileImportId);
CREATE INDEX merged_members_connection ON merged_members (connectionId);

-- The transaction and operation of each re-pointed audit log before its first merge.
CREATE TABLE merged_log_origins (
  logId VARCHAR PRIMARY KEY,
  txId VARCHAR NOT NULL,
  operation VARCHAR NOT NULL
);
CREATE INDEX merged_log_origins_tx ON merged_log_origins (txId);
