"""SQLite storage: connections, migrations, the single-instance lock. All SQL lives below here."""
