"""A restore keeps the account's ``kioskMode`` as it was, whatever the backup says.

Kiosk mode lets anyone who reaches the daemon read every account without logging in; it is the
one account setting that decides who may read. A backup holds the settings of the account it
was made of, perhaps on another machine, perhaps crafted: restoring it must not open the daemon
to guests, nor close it to a wall display the user set up. Run on the staged database while the
account is closed, after its renewal (``renewal.py``), so that the change takes a version above
the account's and devices learn it.
"""

import contextlib
import sqlite3
from pathlib import Path

from privatefolio_daemon.domain.account_settings import merge_settings, stored_settings
from privatefolio_daemon.store.database import connect_read_only, in_transaction


def keep_kiosk_mode(live: Path, staged: Path) -> bool | None:
    """Give ``staged`` the kiosk mode of ``live`` (off when the account has no database, or one
    that cannot be read); returns it when the backup's was not the same, else None."""
    kept = _kiosk_mode_of(live)
    with contextlib.closing(sqlite3.connect(staged, isolation_level=None)) as connection:
        if _is_on(connection) == kept:
            return None
        in_transaction(connection, lambda conn: merge_settings(conn, {"kioskMode": kept}))
    return kept


def _kiosk_mode_of(live: Path) -> bool:
    if not live.exists():
        return False
    try:
        with contextlib.closing(connect_read_only(live)) as connection:
            return _is_on(connection)
    except sqlite3.Error:
        return False


def _is_on(connection: sqlite3.Connection) -> bool:
    return stored_settings(connection).get("kioskMode") is True


def kiosk_mode_kept_message(kept: bool) -> str:
    state, other = ("on", "off") if kept else ("off", "on")
    return f"Kiosk mode stays {state}, as it was before the restore (the backup had it {other})"
