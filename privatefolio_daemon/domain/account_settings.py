"""An account's settings: KV ``settings`` as a JSON string, merged over the defaults."""

from typing import Any

import orjson

from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.key_value import KeyValueStore
from privatefolio_daemon.settings import ACCOUNT_SETTINGS_DEFAULTS

_INTERVALS = ("networthRefreshInterval", "metadataRefreshInterval")


class AccountSettings:
    def __init__(self, kv: KeyValueStore) -> None:
        self._kv = kv

    async def get(self) -> dict[str, Any]:
        stored = await self._kv.get("settings")
        if stored is None:
            await self._kv.set("settings", orjson.dumps(ACCOUNT_SETTINGS_DEFAULTS).decode())
            return dict(ACCOUNT_SETTINGS_DEFAULTS)
        return {**ACCOUNT_SETTINGS_DEFAULTS, **_parse(stored)}

    async def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        for name in _INTERVALS:
            if name in changes:
                _check_interval(name, changes[name])
        if "backupInterval" in changes:
            _check_backup_interval(changes["backupInterval"])
        merged = {**await self.get(), **changes}
        await self._kv.set("settings", orjson.dumps(merged).decode())
        return merged


def _parse(stored: Any) -> dict[str, Any]:
    try:
        value = orjson.loads(stored) if isinstance(stored, str) else stored
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _check_interval(name: str, minutes: Any) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise InvalidInputError(f"{name} must be a whole number of minutes above 0")


def _check_backup_interval(minutes: Any) -> None:
    """``backupInterval``: minutes between scheduled backups; 0 (the default) turns them off."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise InvalidInputError(
            "backupInterval must be a whole number of minutes (0 turns scheduled backups off)"
        )
