"""An account's settings: KV ``settings`` as a JSON string, merged over the defaults."""

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from privatefolio_daemon.domain.key_value import KeyValueStore, write_value
from privatefolio_daemon.domain.settings_checks import check_settings
from privatefolio_daemon.domain.text_bounds import bounded_size
from privatefolio_daemon.domain.value_bounds import SETTINGS_MAX_BYTES
from privatefolio_daemon.settings import ACCOUNT_SETTINGS_DEFAULTS
from privatefolio_daemon.store.change_log import append_change
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value
from privatefolio_daemon.store.synced_values import SETTINGS_KEY, settings_from, stored_settings

__all__ = [
    "SETTINGS_KEY",
    "AccountSettings",
    "kiosk_mode",
    "merge_settings",
    "stored_settings",
]


class AccountSettings:
    def __init__(self, kv: KeyValueStore) -> None:
        self._kv = kv

    async def get(self) -> dict[str, Any]:
        stored = await self._kv.get(SETTINGS_KEY)
        if stored is None:  # stored as Privatefolio does; the settings record itself is unchanged
            defaults = orjson.dumps(ACCOUNT_SETTINGS_DEFAULTS).decode()
            await self._kv.transaction(lambda conn: write_value(conn, SETTINGS_KEY, defaults))
            self._kv.announce(SETTINGS_KEY, defaults)
            return dict(ACCOUNT_SETTINGS_DEFAULTS)
        return settings_from(stored)

    async def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the settings, announce them and return the result."""
        merged = await self._kv.transaction(lambda conn: merge_settings(conn, changes))
        self.announce(merged)
        return merged

    def announce(self, merged: dict[str, Any]) -> None:
        self._kv.announce(SETTINGS_KEY, orjson.dumps(merged).decode())
        self._kv.emit("settings", merged)


def merge_settings(connection: sqlite3.Connection, changes: dict[str, Any]) -> dict[str, Any]:
    """Check ``changes``, merge them into the stored settings and log the change for sync."""
    check_settings(changes)
    merged = {**stored_settings(connection), **changes}
    encoded = bounded_size("Settings JSON", merged, SETTINGS_MAX_BYTES)
    write_value(connection, SETTINGS_KEY, encoded.decode())
    append_change(connection, "settings", SETTINGS_KEY, merged)
    return merged


async def kiosk_mode(databases: Iterable[Database]) -> bool:
    """Whether an account's settings turn kiosk mode on: then anyone who can reach the daemon
    may read every account without logging in (the frontend's kiosk switch)."""
    for db in databases:
        try:
            stored = await db.read(lambda conn: read_value(conn, SETTINGS_KEY))
        except sqlite3.ProgrammingError:  # closed meanwhile, for a reset or a restore
            continue
        if stored is not None and settings_from(stored).get("kioskMode") is True:
            return True
    return False
