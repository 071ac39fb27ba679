-- The name of the line of ids an account gives (tag ids, manual transaction numbers): a reset
-- keeps it, and so does a restore. A restore whose backup has another (a backup of another
-- account, of an account since deleted, or made before this migration) cannot tell which of
-- its ids the account gave to other records, so it moves those the account has given to new
-- ids above them.
INSERT OR REPLACE INTO key_value (key, value) VALUES ('id_lineage', 'ids_' || lower(hex(randomblob(16))));
