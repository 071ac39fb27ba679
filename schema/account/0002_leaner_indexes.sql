-- Indexes that file imports do not pay for: a column that is NULL for most rows of one origin
-- (connectionId for file imports, fileImportId for connection syncs) is indexed only where set.
-- The wallet index gave way: no query filters on the wallet alone.

DROP INDEX audit_logs_file_import;
DROP INDEX audit_logs_connection;
DROP INDEX audit_logs_wallet;
DROP INDEX audit_logs_tx;
CREATE INDEX audit_logs_file_import ON audit_logs (fileImportId) WHERE fileImportId IS NOT NULL;
CREATE INDEX audit_logs_connection ON audit_logs (connectionId) WHERE connectionId IS NOT NULL;
CREATE INDEX audit_logs_tx ON audit_logs (txId) WHERE txId IS NOT NULL;

DROP INDEX transactions_file_import;
DROP INDEX transactions_connection;
DROP INDEX transactions_incoming_asset;
DROP INDEX transactions_outgoing_asset;
CREATE INDEX transactions_file_import ON transactions (fileImportId) WHERE fileImportId IS NOT NULL;
CREATE INDEX transactions_connection ON transactions (connectionId) WHERE connectionId IS NOT NULL;
