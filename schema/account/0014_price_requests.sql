-- The earliest day each asset's prices were asked from. A transaction dated before an asset's
-- first stored price makes the next "Fetch asset prices" ask again from the day it was first
-- owned, once: a provider with nothing so early is not asked for the same days at every fetch.
-- Accounts upgraded here count as asked from their first stored price, so history imported
-- before that day is priced at the next fetch.
CREATE TABLE price_requests (
  assetId TEXT PRIMARY KEY,
  askedFrom INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO price_requests (assetId, askedFrom)
SELECT assetId, MIN(timestamp) FROM daily_prices GROUP BY assetId;
