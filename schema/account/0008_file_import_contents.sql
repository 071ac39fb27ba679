-- The SHA-256 of each imported file's bytes. A file import's id hashes the file's name, size and
-- modification time (as Privatefolio's does), so the same statement saved under another name
-- was imported again and counted twice; its digest now finds the earlier import. Imports made
-- before this migration have no digest and are not compared.

CREATE TABLE file_import_contents (
  fileImportId VARCHAR PRIMARY KEY,
  sha256 VARCHAR NOT NULL
);
CREATE INDEX file_import_contents_sha256 ON file_import_contents (sha256);
