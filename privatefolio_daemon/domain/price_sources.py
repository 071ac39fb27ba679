"""Which price provider an asset's daily prices come from, as the user chooses it: the asset's
``priceApiId`` (``patchAsset``, ``upsertAsset``, an ``asset.patch`` sync event).

It names one of the daemon's providers (``PRICE_API_IDS``), or Privatefolio's ``alchemy``, which
the frontend may send and the daemon does not have (the price fetch then chooses, as with none);
null lets the price fetch choose and remember the first provider that answers. Anything else is
refused, unless it is the value already stored.

A change of it deletes the asset's stored prices, so that its history comes from one source
alone; the cursors of the net worth and the PnL are lowered in the same transaction, and the
relayer queues "Fetch asset prices", "Refresh networth" and "Refresh trades"
(``PRICE_SOURCE_CHANGED``).
"""

import sqlite3

from privatefolio_daemon.domain.derived_steps import PRICE_SOURCE_CHANGED
from privatefolio_daemon.domain.errors import InvalidInputError, shortened
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation, invalidate_for_prices
from privatefolio_daemon.domain.stale_announcements import announce_stale
from privatefolio_daemon.sources.prices.registry import PRICE_API_IDS
from privatefolio_daemon.store import daily_prices as store

#: Privatefolio's own price APIs the daemon does not have, accepted as its frontend sends them.
FRONTEND_PRICE_API_IDS = ("alchemy",)


def check_price_api_id(value: str | None, stored: str | None) -> None:
    if value is None or value == stored or value in PRICE_API_IDS + FRONTEND_PRICE_API_IDS:
        return
    raise InvalidInputError(
        f'Unknown price API "{shortened(value)}": expected one of {", ".join(PRICE_API_IDS)}, '
        "or null to let the price fetch choose"
    )


def restart_prices(
    connection: sqlite3.Connection, asset_id: str, before: str | None, after: str | None
) -> PriceInvalidation | None:
    """When the price source changed, delete the asset's prices and lower the cursors of what
    they valued; None when it did not change."""
    if before == after:
        return None
    days = store.delete_asset_prices(connection, asset_id)
    return invalidate_for_prices(connection, days[0] if days else None, days)


def restart_chosen_prices(
    connection: sqlite3.Connection, chosen: list[tuple[str, str]]
) -> PriceInvalidation | None:
    """``restart_prices`` of each ``(asset id, price API)`` whose choice went (the user's
    preferences deleted), as one invalidation; None when none had a choice."""
    joined = PriceInvalidation()
    for asset_id, before in chosen:
        restarted = restart_prices(connection, asset_id, before, None)
        if restarted is not None:
            joined.lowered.update(restarted.lowered)  # cursors only go down: the last is lowest
            joined.deleted.extend(kind for kind in restarted.deleted if kind not in joined.deleted)
    return joined if chosen else None


def announce_restart(events: EventBus, account: str, invalidation: PriceInvalidation) -> None:
    announce_stale(events, account, [invalidation])
    events.emit("daily-prices", account=account)
    events.emit(PRICE_SOURCE_CHANGED, account=account)
