"""What a restored database gives out, renewed above what the account gave before it.

Run on the staged database while the account is closed, before the swap, so that a restore that
fails changes nothing: the database is brought to the current schema, then, in one transaction,
the ids of a backup of another line move above the account's (``restored_ids.py``), every
record takes a version above the account's (``restored_feed.py``), and the account's floors and
line of ids go on in it (``domain/id_floors.py``).
"""

import contextlib
import dataclasses
import secrets
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.backup.restored_feed import renew_feed
from privatefolio_daemon.domain.backup.restored_ids import MovedIds, move_given_ids
from privatefolio_daemon.domain.id_floors import IdFloors, raise_floors, read_floors
from privatefolio_daemon.store.database import connect_read_only, in_transaction
from privatefolio_daemon.store.migrations import OPEN_ERRORS, Migration, migrate


class RenewalError(Exception):
    """The staged database cannot be brought to the current schema; the message names the
    account's database, as opening it would."""


def renew_restored(live: Path, staged: Path, migrations: list[Migration]) -> None:
    """Renew ``staged`` (a closed database) over ``live`` (the account's, closed, if any)."""
    given = _given(live)
    with contextlib.closing(sqlite3.connect(staged, isolation_level=None)) as connection:
        try:
            migrate(connection, migrations, staged, copy_first=False)
        except OPEN_ERRORS as error:
            raise RenewalError(f"{live}: {error}") from error
        in_transaction(connection, lambda conn: _renew(conn, given))


def _given(live: Path) -> IdFloors:
    """What the account gave: none of it when it has no database, and a line of its own."""
    if not live.exists():
        return IdFloors(0, 0, 0, lineage=f"ids_{secrets.token_hex(16)}")
    with contextlib.closing(connect_read_only(live)) as connection:
        return read_floors(connection)


def _renew(connection: sqlite3.Connection, given: IdFloors) -> None:
    restored = read_floors(connection)
    if restored.lineage and not _gave_ids(given):  # a new account: the backup's line goes on
        given = dataclasses.replace(given, lineage=restored.lineage)
    moved = MovedIds({}, {})
    if restored.lineage != given.lineage:
        moved = move_given_ids(connection, given.tag, given.manual)
    raise_floors(connection, given)
    renew_feed(connection, max(given.seq, restored.seq), moved)


def _gave_ids(floors: IdFloors) -> bool:
    """Whether the account gave a tag id or a manual transaction's number, which a backup of
    another line could hold for another record."""
    return floors.tag > 0 or floors.manual > 1
