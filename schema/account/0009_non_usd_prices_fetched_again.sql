-- Yahoo and TEFAS prices were stored in the currency their market quotes (pence for VOD.L, yen
-- for 7203.T, lira for TEFAS funds) and valued as USD. Those providers now convert each day's
-- price to USD. The rows stored before are deleted: the next "Fetch asset prices" brings them
-- again from the first owned day, converted, and the net worth of their days is made again
-- (decision 0008: days that gain a price lower the net worth cursor).
DELETE FROM daily_prices WHERE priceApiId IN ('yahoo', 'tefas');
