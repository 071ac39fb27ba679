"""Exchange accounts as connections, through ccxt (imported lazily, on the first sync)."""
