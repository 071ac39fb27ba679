"""Whether a file import bulk loads the ledger.

When the file holds at least as many rows as the ledger (a first import, or one that dwarfs
what is there), the ledger's indexes are dropped and built again after the rows are in
(``store.bulk_load``): one sort per index instead of a random B-tree insert per row. Into a
larger ledger, rebuilding would cost more than it saves, so the rows go in with the indexes.
"""

import sqlite3

LEDGER_TABLES = ("audit_logs", "transactions")
#: A CSV row of the formats we import is 80–200 bytes: this errs towards more rows.
BYTES_PER_ROW_ESTIMATE = 80


def should_bulk_load(connection: sqlite3.Connection, file_bytes: int) -> bool:
    ledger_rows = connection.execute("SELECT MAX(rowid) FROM audit_logs").fetchone()[0] or 0
    return file_bytes // BYTES_PER_ROW_ESTIMATE >= int(ledger_rows)
