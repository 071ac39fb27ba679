"""A long trades run computed from a snapshot of the ledger, off the account's writer.

A run that starts over reads every log again: 3.3 s at 100k rows, ten times that at 1M; so does a
refresh after a change long after the last close. On the writer it would hold up every other
write of the account (an edit, a sync event) all along. Here it runs on a thread of its own, into
a scratch file (``store.trades_scratch``), from one read transaction of the ledger, which is
then compared with the ledger's trades in the same transaction; the writer only writes the rows
that differ, so a run that ends where the stored trades were writes (almost) nothing.

Any invalidation of the trades after the snapshot (a change of the ledger, a first price on a
day with logs) raises ``tradesGeneration``. The result is then out of date and not applied; the
caller runs the pass on the writer instead. A change whose invalidation comes after the swap
finds the swapped cursors, as it would after a run on the writer.
"""

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from privatefolio_daemon.store.database import in_transaction
from privatefolio_daemon.store.key_value import read_value
from privatefolio_daemon.store.trades_scratch import (
    apply_scratch,
    attach_scratch,
    copy_trades_in,
    detach_scratch,
    diff_with_ledger,
    generation,
    open_scratch,
)


def scratch_path(ledger: Path) -> Path:
    """One per account: its runs go one at a time, through the account's task queue."""
    return ledger.with_name(f".{ledger.stem}-trades.scratch")


def compute_in_scratch(
    ledger: Path,
    scratch: Path,
    run: Callable[[sqlite3.Connection], object],
    go_on_from: Sequence[str] | None = None,
) -> int:
    """Run ``run`` (a trades pass) into a new scratch file, then compare its trades with those of
    the ledger snapshot it read; returns the generation of that snapshot. ``go_on_from``: the pass
    is a refresh, which goes on from the ledger's trades and these key-value entries, so they are
    copied in first (from the same snapshot)."""
    scratch.unlink(missing_ok=True)
    connection = open_scratch(ledger, scratch)
    try:
        connection.execute("BEGIN")  # deferred: the first read of the ledger fixes the snapshot
        snapshot = generation(connection, "ledger")
        if go_on_from is not None:
            copy_trades_in(connection, go_on_from)
        run(connection)
        diff_with_ledger(connection)
        connection.execute("COMMIT")
        return snapshot
    finally:
        connection.close()


def apply_if_current(
    connection: sqlite3.Connection, scratch: Path, snapshot: int, keys: tuple[str, ...]
) -> dict[str, object] | None:
    """On the writer: write the scratch trades' differences and ``keys`` in, unless the trades
    were invalidated since the snapshot (None). Returns the ``keys`` values applied.
    Besides invalidations, which raise the generation, only trades passes write the trades
    tables, one at a time: with the generation unchanged, they still hold the rows the
    differences were taken from."""
    attach_scratch(connection, scratch)
    try:

        def apply(conn: sqlite3.Connection) -> dict[str, object] | None:
            if generation(conn) != snapshot:
                return None
            apply_scratch(conn, keys)
            return {key: read_value(conn, key) for key in keys}

        return in_transaction(connection, apply)
    finally:
        detach_scratch(connection)
