-- The fields a user had patched on each member of a merge when it was merged (a JSON list of
-- type, price, role, metadata), so that an undone merge whose patched fields the user left as
-- the merge made them gives each member its own back. Members noted before this migration have
-- none noted: an undone merge of them gives the merged transaction's patched fields to the
-- member it was named after, as before.

ALTER TABLE merged_members ADD COLUMN patchedFields TEXT;
