"""Domain rules: accounts, ledger, derived data. Knows nothing of HTTP or WebSockets."""
