-- The end-of-day balances of each wallet, {assetId: balanceWallet}, written by the balance pass
-- for every day a wallet has audit logs (and for every wallet on the first day of a pass).
-- An incremental pass starts from each wallet's latest row before its first day, instead of
-- finding the latest audit log of every wallet and asset, which reads the whole ledger before
-- that day. Rows from a day on are deleted whenever the balances from that day on are.

CREATE TABLE wallet_balances (
  timestamp INTEGER NOT NULL,
  wallet VARCHAR NOT NULL,
  data JSON NOT NULL,
  PRIMARY KEY (timestamp, wallet)
) WITHOUT ROWID;
