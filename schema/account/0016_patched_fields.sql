-- The fields a user patched on an imported or synced transaction (patchTransaction): its type,
-- price, role or metadata. A connection synced again writes its transactions again with the
-- source's values except these, which keep the user's (notes need no row here: no source brings
-- any). A merged transaction takes over the rows of its members, and an undone merge gives its
-- rows to the member it was named after, as notes go. Patches made before this migration were
-- not noted.

CREATE TABLE transaction_patched_fields (
  transactionId VARCHAR NOT NULL,
  field VARCHAR NOT NULL, -- type, price, role or metadata
  PRIMARY KEY (transactionId, field)
) WITHOUT ROWID;
