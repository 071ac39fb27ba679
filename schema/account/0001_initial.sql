-- The account database: the Privatefolio table set with the same column names and order
-- (readers map rows by position), plus indexes on the columns that are queried.
-- Amounts are TEXT decimal strings; the generated ...N REAL columns exist only for sorting.

CREATE TABLE key_value (
  key VARCHAR PRIMARY KEY,
  value JSON
);

CREATE TABLE audit_logs (
  id VARCHAR PRIMARY KEY,
  assetId VARCHAR NOT NULL,
  balance VARCHAR,
  balanceN FLOAT GENERATED ALWAYS AS (CAST(balance AS REAL)) STORED,
  balanceWallet VARCHAR,
  balanceWalletN FLOAT GENERATED ALWAYS AS (CAST(balanceWallet AS REAL)) STORED,
  change VARCHAR NOT NULL,
  changeN FLOAT GENERATED ALWAYS AS (CAST(change AS REAL)) STORED,
  fileImportId VARCHAR,
  connectionId VARCHAR,
  importIndex INTEGER NOT NULL,
  operation VARCHAR NOT NULL,
  platformId VARCHAR NOT NULL,
  timestamp INTEGER NOT NULL,
  txId VARCHAR,
  wallet VARCHAR NOT NULL
);
CREATE INDEX audit_logs_canonical ON audit_logs (timestamp, changeN, id);
CREATE INDEX audit_logs_asset ON audit_logs (assetId, timestamp);
CREATE INDEX audit_logs_tx ON audit_logs (txId);
CREATE INDEX audit_logs_file_import ON audit_logs (fileImportId);
CREATE INDEX audit_logs_connection ON audit_logs (connectionId);
CREATE INDEX audit_logs_wallet ON audit_logs (wallet);

CREATE TABLE transactions (
  id VARCHAR PRIMARY KEY,
  incomingAsset VARCHAR,
  incoming VARCHAR,
  incomingN FLOAT GENERATED ALWAYS AS (CAST(incoming AS REAL)) STORED,
  feeAsset VARCHAR,
  fee VARCHAR,
  feeN FLOAT GENERATED ALWAYS AS (CAST(fee AS REAL)) STORED,
  fileImportId VARCHAR,
  connectionId VARCHAR,
  importIndex INTEGER,
  outgoingAsset VARCHAR,
  outgoing VARCHAR,
  outgoingN FLOAT GENERATED ALWAYS AS (CAST(outgoing AS REAL)) STORED,
  notes VARCHAR,
  platformId VARCHAR NOT NULL,
  price VARCHAR,
  priceN FLOAT GENERATED ALWAYS AS (CAST(price AS REAL)) STORED,
  role VARCHAR,
  timestamp INTEGER NOT NULL,
  type VARCHAR NOT NULL,
  wallet VARCHAR NOT NULL,
  metadata JSON
);
CREATE INDEX transactions_timestamp ON transactions (timestamp, incomingN);
CREATE INDEX transactions_file_import ON transactions (fileImportId);
CREATE INDEX transactions_connection ON transactions (connectionId);
CREATE INDEX transactions_incoming_asset ON transactions (incomingAsset);
CREATE INDEX transactions_outgoing_asset ON transactions (outgoingAsset);

CREATE TABLE assets (
  id VARCHAR PRIMARY KEY,
  symbol VARCHAR NOT NULL,
  name VARCHAR,
  logoUrl VARCHAR,
  priceApiId VARCHAR,
  coingeckoId VARCHAR,
  favorite BOOLEAN
);
CREATE VIEW favorite_assets AS SELECT * FROM assets WHERE favorite = 1;

CREATE TABLE balances (
  timestamp INTEGER PRIMARY KEY,
  data JSON
);

CREATE TABLE networth (
  timestamp INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  value FLOAT NOT NULL,
  change FLOAT NOT NULL,
  changePercentage FLOAT NOT NULL
);

CREATE TABLE daily_prices (
  id VARCHAR PRIMARY KEY,
  assetId VARCHAR NOT NULL,
  timestamp INTEGER NOT NULL,
  price JSON,
  pair VARCHAR,
  priceApiId VARCHAR
);
CREATE INDEX daily_prices_asset ON daily_prices (assetId, timestamp);
CREATE INDEX daily_prices_timestamp ON daily_prices (timestamp);

CREATE TABLE file_imports (
  id VARCHAR PRIMARY KEY,
  lastModified INTEGER NOT NULL,
  name VARCHAR NOT NULL,
  size FLOAT NOT NULL,
  timestamp TIMESTAMP,
  meta JSON
);

CREATE TABLE connections (
  id VARCHAR PRIMARY KEY,
  connectionNumber INTEGER NOT NULL UNIQUE,
  address VARCHAR,
  key VARCHAR,
  meta JSON,
  options JSON,
  extensionId VARCHAR NOT NULL,
  platformId VARCHAR NOT NULL,
  syncedAt INTEGER,
  timestamp INTEGER NOT NULL
);

CREATE TABLE server_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT,
  scheduledAt INTEGER NOT NULL,
  status TEXT,
  progress INTEGER,
  startedAt INTEGER,
  completedAt INTEGER,
  deletedAt INTEGER,
  metadata JSON,
  createdBy TEXT NOT NULL
);

CREATE TABLE server_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT,
  description TEXT,
  priority INTEGER,
  startedAt INTEGER,
  completedAt INTEGER,
  duration INTEGER,
  errorMessage TEXT,
  trigger TEXT,
  status TEXT,
  createdAt INTEGER NOT NULL,
  determinate BOOLEAN,
  groupId TEXT
);
CREATE INDEX server_tasks_status ON server_tasks (status);
CREATE INDEX server_tasks_group ON server_tasks (groupId);

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name VARCHAR NOT NULL UNIQUE
);

CREATE TABLE audit_log_tags (
  audit_log_id VARCHAR,
  tag_id INTEGER,
  PRIMARY KEY (audit_log_id, tag_id)
);
CREATE INDEX audit_log_tags_tag ON audit_log_tags (tag_id);

CREATE TABLE transaction_tags (
  transaction_id VARCHAR,
  tag_id INTEGER,
  PRIMARY KEY (transaction_id, tag_id)
);
CREATE INDEX transaction_tags_tag ON transaction_tags (tag_id);

CREATE TABLE trades (
  id VARCHAR PRIMARY KEY,
  tradeNumber INTEGER NOT NULL,
  assetId VARCHAR NOT NULL,
  amount VARCHAR NOT NULL,
  balance VARCHAR NOT NULL,
  createdAt INTEGER NOT NULL,
  closedAt INTEGER,
  duration INTEGER,
  tradeStatus VARCHAR NOT NULL,
  tradeType VARCHAR NOT NULL,
  cost JSON,
  fees JSON,
  proceeds JSON,
  deposits JSON
);
CREATE INDEX trades_asset ON trades (assetId, createdAt);

CREATE TABLE trade_audit_logs (
  trade_id VARCHAR,
  audit_log_id VARCHAR,
  PRIMARY KEY (trade_id, audit_log_id)
);

CREATE TABLE trade_transactions (
  trade_id VARCHAR,
  transaction_id VARCHAR,
  PRIMARY KEY (trade_id, transaction_id)
);

CREATE TABLE trade_tags (
  trade_id VARCHAR,
  tag_id INTEGER,
  PRIMARY KEY (trade_id, tag_id)
);

CREATE TABLE trade_pnl (
  id VARCHAR PRIMARY KEY,
  trade_id VARCHAR NOT NULL,
  timestamp INTEGER NOT NULL,
  positionValue VARCHAR,
  cost VARCHAR,
  proceeds VARCHAR,
  fees VARCHAR,
  deposits VARCHAR,
  pnl VARCHAR
);
CREATE INDEX trade_pnl_trade ON trade_pnl (trade_id, timestamp);

CREATE TABLE chat_history (
  id VARCHAR PRIMARY KEY,
  conversationId VARCHAR NOT NULL,
  role VARCHAR NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  message TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  tokens INTEGER,
  metadata TEXT,
  parts TEXT
);
CREATE INDEX chat_history_conversation ON chat_history (conversationId);
CREATE INDEX chat_history_timestamp ON chat_history (timestamp);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title VARCHAR NOT NULL,
  text TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  status INTEGER DEFAULT 0,
  metadata JSON
);
CREATE INDEX notifications_created ON notifications (createdAt DESC);
CREATE INDEX notifications_status ON notifications (status);

INSERT INTO key_value (key, value) VALUES ('trade_seq', 0), ('connection_seq', 0);
