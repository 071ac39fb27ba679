"""Telling the account's listeners what a change of stored prices made stale."""

from collections.abc import Iterable

from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation


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
        events.emit(kind, "deleted", account=account)
    return stale
