"""The key-value entries devices keep in sync, and the change each write of one logs.

``settings`` is the settings record (merged over the defaults). The other entries are values the
frontend stores with ``setValue`` for the user: the address book (wallet labels) and the
assistant's API URL. Cursors, sequences and secrets are not synced.
"""

import sqlite3
from typing import Any

import orjson

from privatefolio_daemon.domain.value_bounds import check_synced_value
from privatefolio_daemon.settings import ACCOUNT_SETTINGS_DEFAULTS
from privatefolio_daemon.store.change_log import append_change
from privatefolio_daemon.store.key_value import read_value

SETTINGS_KEY = "settings"
SYNCED_VALUE_KEYS = ("address_book", "assistant_custom_api_url")


def stored_settings(connection: sqlite3.Connection) -> dict[str, Any]:
    return settings_from(read_value(connection, SETTINGS_KEY))


def settings_from(stored: Any) -> dict[str, Any]:
    """The settings in the stored KV value, merged over the defaults."""
    return {**ACCOUNT_SETTINGS_DEFAULTS, **_parse(stored)}


def value_record(connection: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    value = read_value(connection, key)
    return None if value is None else {"key": key, "value": value}


def value_written(connection: sqlite3.Connection, key: str) -> None:
    """Log the change of a synced entry that was just written (others are not logged); refuse
    one that is not what the frontend reads, or too large."""
    if key == SETTINGS_KEY or key in SYNCED_VALUE_KEYS:
        check_synced_value(key, read_value(connection, key))
    if key == SETTINGS_KEY:
        append_change(connection, "settings", SETTINGS_KEY, stored_settings(connection))
    elif key in SYNCED_VALUE_KEYS:
        append_change(connection, "value", key, value_record(connection, key))


def _parse(stored: Any) -> dict[str, Any]:
    if stored is None:
        return {}
    try:
        value = orjson.loads(stored) if isinstance(stored, str) else stored
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
