-- Trade PnL changed: a fee now lowers it whatever sign its source stored it with, a day counts up
-- to its last millisecond, and a closed trade holds nothing on its closing day. The rows computed
-- before are marked stale from the start, so the next "Refresh trades" (queued at the next start
-- when derived data is behind) makes every trade's rows again.
INSERT OR REPLACE INTO key_value (key, value)
SELECT 'tradePnlStaleFrom', 0 WHERE EXISTS (SELECT 1 FROM trade_pnl);
