"""The interface of a connection plug-in: an EVM wallet or an exchange account that syncs.

A source never writes SQL. It reads from the network, from where the last sync stopped, and
returns records in the same shapes as the matching CSV import, so balances, prices and trades work
on them unchanged. The domain persists them in one transaction and stores the new cursor.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from privatefolio_daemon.domain.records import AuditLog, Transaction

#: ``progress(percent or None, message or None)``
Progress = Callable[[float | None, str | None], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """What a source needs to sync one connection. Secrets arrive decrypted, in memory only."""

    id: str
    extension_id: str
    platform_id: str
    address: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SyncResult:
    logs: list[AuditLog]
    transactions: list[Transaction]
    #: Where the next sync starts (a block number, or a time in ms). ``None`` keeps the old one.
    cursor: int | None
    #: Current balances as the source sees them, ``{assetId: decimal string}``, when it can tell.
    balances: dict[str, str] | None = None


class SyncError(Exception):
    """A sync failed; the message is written for the user and never contains a secret."""


class ConnectionSource(Protocol):
    extension_id: str

    async def sync(self, spec: ConnectionSpec, cursor: int, progress: Progress) -> SyncResult:
        """Fetch everything after ``cursor`` (0 = from the beginning)."""
        ...

    async def close(self) -> None: ...
