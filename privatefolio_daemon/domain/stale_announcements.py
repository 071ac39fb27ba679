"""Telling the account's listeners what a change of the ledger or of stored prices made stale."""

from collections.abc import Iterable

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation

#: Channels whose events carry nothing, a deletion's included (rpc-methods.md §2: ``balances``
#: as ``deleteBalances`` emits it, ``networth`` as ``cb()``); the others say ``"deleted"``.
_CAUSELESS = frozenset({"balances", "networth"})


def announce_deleted(events: EventBus, account: str, kind: str) -> None:
    """The derived rows of ``kind`` (a channel: ``balances``, ``trades``, …) were deleted."""
    if kind in _CAUSELESS:
        events.emit(kind, account=account)
    else:
        events.emit(kind, "deleted", account=account)


def announce_stale(
    events: EventBus, account: str, invalidations: Iterable[PriceInvalidation]
) -> bool:
    """Emit the cursors lowered and the kinds of derived rows deleted; returns whether anything
    was made stale."""
    lowered: dict[str, int] = {}
    deleted: set[str] = set()
    stale = False
    for invalidation in invalidations:
        lowered.update(invalidation.lowered)
        deleted.update(invalidation.deleted)
        stale = stale or bool(invalidation)
    for key, value in lowered.items():
        events.emit("key-value", key, value, account=account)
    for kind in sorted(deleted):
        announce_deleted(events, account, kind)
    return stale
