-- A deleted tag's id is never given to a new tag. SQLite reuses the largest rowid once it is
-- deleted, so a new tag could take over the id of one just deleted: the join rows that a
-- deleted tag leaves (as Privatefolio leaves them) would then tag records with the new tag, and
-- a device that still knew the old tag would edit the new one. AUTOINCREMENT never reuses ids.

CREATE TABLE tags_rebuilt (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR NOT NULL UNIQUE
);
INSERT INTO tags_rebuilt (id, name) SELECT id, name FROM tags;
DROP TABLE tags;
ALTER TABLE tags_rebuilt RENAME TO tags;
