"""Reading an account's deposits and withdrawals after a cursor.

- ``windows`` (Binance): the history answers at most 90 days per query, newest first, with
  ``offset``/``limit`` paging. A first sync walks windows from when the exchange opened (or the
  connection's ``sinceLimit``), a later one from the cursor.
- ``single``: one query from the cursor (Kraken answers its recent transfers in one list).
- ``accounts`` (Coinbase): each currency account's transaction list (``account_ledgers``).

Only completed transfers (ccxt status ``ok``) become records. Pending ones are returned apart so
that the cursor stops before them and the next sync reads them again once they complete.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from privatefolio_daemon.sources.exchanges.account_ledgers import account_transfers
from privatefolio_daemon.sources.exchanges.client import ExchangeClient

Transfer = dict[str, Any]
Kind = Literal["deposits", "withdrawals"]


@dataclass(slots=True)
class Transfers:
    completed: list[Transfer] = field(default_factory=list)
    pending: list[Transfer] = field(default_factory=list)


async def fetch_transfers(
    client: ExchangeClient, since: int, first_day: int, now: int
) -> Transfers:
    """Deposits then withdrawals at or after ``since`` (ms); ``first_day`` bounds a first sync."""
    if client.profile.transfer_paging == "accounts":
        found = await account_transfers(client, since)
    else:
        found = [
            transfer
            for kind in ("deposits", "withdrawals")
            for transfer in await _fetch_kind(client, kind, since, first_day, now)
        ]
    transfers = Transfers()
    for transfer in found:
        if int(transfer.get("timestamp") or 0) < since:
            continue
        status = transfer.get("status")
        if status == "ok":
            transfers.completed.append(transfer)
        elif status == "pending":
            transfers.pending.append(transfer)
    transfers.completed.sort(key=lambda t: (int(t["timestamp"]), str(t.get("id"))))
    return transfers


async def _fetch_kind(
    client: ExchangeClient, kind: Kind, since: int, first_day: int, now: int
) -> list[Transfer]:
    method = f"fetch_{kind}"
    if client.profile.transfer_paging != "windows":
        start = since - since % 1000 if since > 0 else None
        return list(await client.call(method, None, start))
    window = client.profile.transfer_window_ms
    found: list[Transfer] = []
    window_start = max(since, first_day)
    while window_start <= now:
        found.extend(await _window_pages(client, method, window_start))
        window_start += window + 1
    return found


async def _window_pages(client: ExchangeClient, method: str, window_start: int) -> list[Transfer]:
    limit = client.profile.transfers_per_page
    found: list[Transfer] = []
    offset = 0
    while True:
        page = await client.call(method, None, window_start, limit, {"offset": offset})
        found.extend(page)
        if len(page) < limit:
            return found
        offset += len(page)
