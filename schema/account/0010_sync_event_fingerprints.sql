-- A kept event result remembers what the event was (a hash of its type, recordId, version and
-- data as sent), so that an eventId used again for another event is refused rather than
-- answered as a duplicate. Results kept before have none and stay duplicates as before.
ALTER TABLE sync_events ADD COLUMN fingerprint VARCHAR;
