"""The account key-value store (table ``key_value``) and its change events."""

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from privatefolio_daemon.domain.daemon_keys import DAEMON_KEYS, daemon_key_refusal
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.value_bounds import check_value
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.synced_values import value_written

__all__ = ["KeyValueStore", "read_value", "write_value"]

T = TypeVar("T")


class KeyValueStore:
    def __init__(self, db: Database, events: EventBus, account: str) -> None:
        self._db = db
        self._events = events
        self._account = account

    async def get(self, key: str, default: Any = None) -> Any:
        value = await self._db.read(lambda conn: read_value(conn, key))
        return default if value is None else value

    async def set(self, key: str, value: Any) -> None:
        """Store ``value`` (at most 1 MiB); the write of an entry devices keep in sync is logged
        for them."""
        check_value(key, value)
        if key in DAEMON_KEYS:
            raise InvalidInputError(daemon_key_refusal(key))

        def store(connection: sqlite3.Connection) -> Any:
            write_value(connection, key, value)
            value_written(connection, key)
            return read_value(connection, key)

        self.announce(key, await self._db.transaction(store))

    async def transaction(self, function: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``function`` in one write transaction; the caller announces what it wrote."""
        return await self._db.transaction(function)

    def announce(self, key: str, stored: Any) -> None:
        self._events.emit("key-value", key, stored, account=self._account)

    def emit(self, channel: str, *args: Any) -> None:
        self._events.emit(channel, *args, account=self._account)
