"""Deposits and withdrawals kept in one transaction list per currency account (Coinbase).

Coinbase has no list of transfers. Each currency account has its own transactions (v2
``/accounts/<id>/transactions``, newest first, paged by ``starting_after``), where crypto sends
and receives (``send``) and bank transfers (``fiat_deposit``, ``fiat_withdrawal``) sit among trade
fills, buys, sells and rewards. The accounts come from the Advanced Trade account list (paged by
cursor). Each list is read through ccxt's ``fetch_ledger``, which hands on the next page's id,
until a page reaches back past the cursor; its transfers are parsed with ccxt's
``parse_transaction`` (a send's amount without its network fee, the fee apart).

ccxt takes a send's direction from its network amount, which is positive both ways, and so calls
a withdrawal a deposit; the direction is taken here from the sign of the account's own change. A
receive's network fee was paid by the sender: it is dropped, so a deposit adds its whole amount.
Every account costs at least one request per sync, whether it moved or not.
"""

from typing import Any

from privatefolio_daemon.sources.exchanges.amounts import amount
from privatefolio_daemon.sources.exchanges.client import ExchangeClient

Transfer = dict[str, Any]

#: The transaction types that move funds in or out of the exchange.
TRANSFER_TYPES = frozenset({"send", "fiat_deposit", "fiat_withdrawal"})


async def account_transfers(client: ExchangeClient, since: int) -> list[Transfer]:
    """Every account's transfers, as ccxt transfer structures, back to ``since`` (ms) at least."""
    found: list[Transfer] = []
    for account_id in await _account_ids(client):
        for entry in await _ledger(client, account_id, since):
            info = entry.get("info")
            if isinstance(info, dict) and info.get("type") in TRANSFER_TYPES:
                found.append(_transfer(client, info))
    return found


async def _account_ids(client: ExchangeClient) -> list[str]:
    ids: list[str] = []
    params: dict[str, str] = {}
    while True:
        page = await client.call("fetch_accounts", params)
        ids.extend(str(account["id"]) for account in page if account.get("id"))
        cursor = _info(page[-1]).get("cursor") if page else None
        if not cursor or cursor == params.get("cursor"):
            return ids
        params = {"cursor": str(cursor)}


async def _ledger(client: ExchangeClient, account_id: str, since: int) -> list[dict[str, Any]]:
    limit = client.profile.transfers_per_page
    entries: list[dict[str, Any]] = []
    params = {"account_id": account_id}
    while True:
        page = await client.call("fetch_ledger", None, None, limit, params)
        entries.extend(page)
        next_id = next((_info(e)["next_starting_after"] for e in page if _has_next(e)), None)
        oldest = min((int(e.get("timestamp") or 0) for e in page), default=since)
        if not next_id or oldest < since:
            return entries
        params = {"account_id": account_id, "starting_after": str(next_id)}


def _transfer(client: ExchangeClient, info: dict[str, Any]) -> Transfer:
    transfer: Transfer = client.exchange.parse_transaction(info)
    own = info.get("amount")
    change = amount(own.get("amount")) if isinstance(own, dict) else None
    withdrawal = change is not None and change < 0
    transfer["type"] = "withdrawal" if withdrawal else "deposit"
    if not withdrawal and info.get("type") == "send":
        transfer["fee"] = None
    return transfer


def _info(item: dict[str, Any]) -> dict[str, Any]:
    info = item.get("info")
    return info if isinstance(info, dict) else {}


def _has_next(entry: dict[str, Any]) -> bool:
    return bool(_info(entry).get("next_starting_after"))
