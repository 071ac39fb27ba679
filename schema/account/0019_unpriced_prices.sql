-- The daily prices that may be none: not JSON, without a numeric value, or one outside the range
-- where every number is a price (an older version stored a NaN as null, and kept 0 and 1e308).
-- "Fetch asset prices" asks again from an asset's first such day, however old, and finds those
-- days through this index without reading the whole history (store/daily_prices.py: its WHERE
-- must stay the expression there).
CREATE INDEX daily_prices_unpriced ON daily_prices (assetId, timestamp) WHERE
CASE json_valid(price) WHEN 1 THEN
  CASE json_type(price, '$.value') WHEN 'integer' THEN 0 WHEN 'real' THEN 0 ELSE 1 END
  OR json_extract(price, '$.value') < 1e-63 OR json_extract(price, '$.value') >= 1e80
ELSE 1 END;
