"""What an account's settings may hold. ``updateSettings`` and the ``settings.patch`` event
check the settings they change; ``setValue`` and ``executeSql``, which write the whole record,
check all of it: each refuses the same values with the same message."""

from collections.abc import Mapping
from typing import Any

import orjson

from privatefolio_daemon.domain.errors import InvalidInputError, shortened
from privatefolio_daemon.domain.intervals import check_interval

_INTERVALS = ("networthRefreshInterval", "metadataRefreshInterval")


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse a setting the daemon reads whose value it cannot use; others are the frontend's."""
    for name in _INTERVALS:
        if name in settings:
            check_interval(name, settings[name])
    if "backupInterval" in settings:
        _check_backup_interval(settings["backupInterval"])
    if "kioskMode" in settings and not isinstance(settings["kioskMode"], bool):
        raise InvalidInputError("kioskMode must be true or false")
    if "assistantModel" in settings and not isinstance(settings["assistantModel"], str):
        raise InvalidInputError("assistantModel must be a string")


def check_stored_settings(stored: Any) -> None:
    """The settings record as written to the key-value store: a JSON object of settings."""
    try:
        settings = orjson.loads(stored) if isinstance(stored, str) else None
    except orjson.JSONDecodeError:
        settings = None
    if not isinstance(settings, dict):
        shown = f'"{shortened(stored)}"' if isinstance(stored, str) else repr(stored)
        raise InvalidInputError(
            'The settings must be a JSON object of settings by name, e.g. {"kioskMode": false}, '
            f"not {shown}"
        )
    check_settings(settings)


def _check_backup_interval(minutes: Any) -> None:
    """``backupInterval``: minutes between scheduled backups; 0 (the default) turns them off."""
    if minutes == 0 and not isinstance(minutes, bool | float):
        return
    check_interval(
        "backupInterval",
        minutes,
        "backupInterval must be a whole number of minutes (0 turns scheduled backups off)",
    )
