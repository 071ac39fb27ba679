"""ccxt trades and transfers as audit logs and transactions, in the Binance statement's shapes.

A trade becomes a Buy log, a Sell log and one Fee log per fee currency, grouped by a Swap
transaction (incoming/outgoing/fee positive, fee logs negative), like a statement's swap. A
deposit or withdrawal becomes one log and a ``<logId>_TX`` transaction, like a statement row, and
a transfer fee adds a Fee log to that transaction. Ids are built from the connection id and the
exchange's own ids, so syncing the same history twice yields the same rows:

- trade: tx ``<connectionId>_TRADE_<marketId>_<tradeId>`` (Binance numbers trades per market),
  logs ``<txId>_BUY``, ``<txId>_SELL``, ``<txId>_FEE`` (more fee currencies: ``_FEE_<CODE>``);
- transfer: log ``<connectionId>_DEPOSIT_<CODE>_<id>`` or ``…_WITHDRAW_<CODE>_<id>``, tx
  ``<logId>_TX``, fee log ``<logId>_FEE``;
- Binance Convert trade: a Swap like a trade's, without a fee (Convert's spread is in its rate),
  tx ``<connectionId>_CONVERT_<orderId>``, logs ``<txId>_BUY`` and ``<txId>_SELL``;
- small balances converted to BNB ("dust"): one Swap per asset given up, tx
  ``<connectionId>_DUST_<transId>_<CODE>`` (the conversion's ``transId``), logs ``<txId>_SELL``
  (the asset's ``amount``), ``<txId>_BUY`` (the BNB it became, ``transferedAmount``) and
  ``<txId>_FEE`` (``serviceChargeAmount`` of BNB). In Binance's published answers the charge is
  2 % of ``transferedAmount`` cut to 8 decimals, so that amount is before the fee: the account
  gains the difference.

``importIndex`` is the timestamp (as the statement's swaps have it): stable across syncs.
Log changes are big.js ``toFixed()`` text, transaction amounts ``toString()`` text, as there.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.exchanges.amounts import amount, positive
from privatefolio_daemon.sources.importers.amounts import price_text

Records = tuple[list[AuditLog], Transaction]


@dataclass(frozen=True, slots=True)
class AccountVenue:
    """Where the records of one connection live."""

    connection_id: str
    platform_id: str
    wallet: str

    def asset_id(self, code: str) -> str:
        return f"{self.platform_id}:{code}"


def _log(
    venue: AccountVenue, log_id: str, code: str, change: Decimal, operation: str, at: int
) -> AuditLog:
    return AuditLog(
        id=log_id,
        assetId=venue.asset_id(code),
        change=decimals.to_fixed(change),
        connectionId=venue.connection_id,
        importIndex=at,
        operation=operation,
        platformId=venue.platform_id,
        timestamp=at,
        wallet=venue.wallet,
    )


def trade_fees(trade: Mapping[str, Any]) -> list[tuple[str, Decimal]]:
    """Non-zero fees of a ccxt trade, summed per currency, in first-seen order."""
    listed = trade.get("fees") or ([trade["fee"]] if trade.get("fee") else [])
    totals: dict[str, Decimal] = {}
    for fee in listed:
        cost = positive(fee.get("cost"))
        code = fee.get("currency")
        if code and not cost.is_zero():
            totals[code] = decimals.add(totals.get(code, Decimal(0)), cost)
    return list(totals.items())


def trade_records(
    trade: Mapping[str, Any], market: Mapping[str, Any], venue: AccountVenue
) -> Records | None:
    """The Swap of one filled trade, or None when it moved nothing."""
    quantity = positive(trade.get("amount"))
    cost = amount(trade.get("cost"))
    if cost is None:
        cost = decimals.multiply(quantity, positive(trade.get("price")))
    cost = cost.copy_abs()
    at = trade.get("timestamp")
    if quantity.is_zero() or at is None:
        return None
    base, quote = str(market["base"]), str(market["quote"])
    if trade.get("side") == "sell":
        incoming_code, incoming, outgoing_code, outgoing = quote, cost, base, quantity
    else:
        incoming_code, incoming, outgoing_code, outgoing = base, quantity, quote, cost
    tx_id = f"{venue.connection_id}_TRADE_{market['id']}_{trade['id']}"
    at = int(at)
    logs = [
        _log(venue, f"{tx_id}_BUY", incoming_code, incoming, "Buy", at),
        _log(venue, f"{tx_id}_SELL", outgoing_code, outgoing.copy_negate(), "Sell", at),
    ]
    fees = trade_fees(trade)
    for index, (code, fee) in enumerate(fees):
        suffix = "_FEE" if index == 0 else f"_FEE_{code}"
        logs.append(_log(venue, f"{tx_id}{suffix}", code, fee.copy_negate(), "Fee", at))
    for log in logs:
        log.txId = tx_id
    swap = Transaction(
        id=tx_id,
        incomingAsset=venue.asset_id(incoming_code),
        incoming=decimals.to_string(incoming),
        feeAsset=venue.asset_id(fees[0][0]) if fees else None,
        fee=decimals.to_string(fees[0][1]) if fees else None,
        connectionId=venue.connection_id,
        importIndex=at,
        outgoingAsset=venue.asset_id(outgoing_code),
        outgoing=decimals.to_string(outgoing),
        platformId=venue.platform_id,
        price=price_text(outgoing, incoming),
        timestamp=at,
        type="Swap",
        wallet=venue.wallet,
    )
    return logs, swap


def _swap(
    venue: AccountVenue,
    tx_id: str,
    at: int,
    incoming: tuple[str, Decimal],
    outgoing: tuple[str, Decimal],
    fee: tuple[str, Decimal] | None = None,
) -> Records:
    """Buy, Sell and (when there is one) Fee logs of one Swap transaction."""
    logs = [
        _log(venue, f"{tx_id}_BUY", incoming[0], incoming[1], "Buy", at),
        _log(venue, f"{tx_id}_SELL", outgoing[0], outgoing[1].copy_negate(), "Sell", at),
    ]
    if fee is not None:
        logs.append(_log(venue, f"{tx_id}_FEE", fee[0], fee[1].copy_negate(), "Fee", at))
    for log in logs:
        log.txId = tx_id
    swap = Transaction(
        id=tx_id,
        incomingAsset=venue.asset_id(incoming[0]),
        incoming=decimals.to_string(incoming[1]),
        feeAsset=venue.asset_id(fee[0]) if fee else None,
        fee=decimals.to_string(fee[1]) if fee else None,
        connectionId=venue.connection_id,
        importIndex=at,
        outgoingAsset=venue.asset_id(outgoing[0]),
        outgoing=decimals.to_string(outgoing[1]),
        platformId=venue.platform_id,
        price=price_text(outgoing[1], incoming[1]),
        timestamp=at,
        type="Swap",
        wallet=venue.wallet,
    )
    return logs, swap


def _time(value: Any) -> int | None:
    """A time in ms as Binance sends it (a number, or its digits as text)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def convert_records(row: Mapping[str, Any], venue: AccountVenue) -> Records | None:
    """The Swap of one Binance Convert trade (a ``convert/tradeFlow`` row); None when it did
    not succeed or lacks an id, time, asset or amount."""
    at, order_id = _time(row.get("createTime")), row.get("orderId")
    from_code, to_code = row.get("fromAsset"), row.get("toAsset")
    given, got = positive(row.get("fromAmount")), positive(row.get("toAmount"))
    if row.get("orderStatus") != "SUCCESS" or at is None or order_id in (None, ""):
        return None
    if not from_code or not to_code or given.is_zero() or got.is_zero():
        return None
    tx_id = f"{venue.connection_id}_CONVERT_{order_id}"
    return _swap(venue, tx_id, at, (str(to_code), got), (str(from_code), given))


def dust_records(dribblet: Mapping[str, Any], venue: AccountVenue) -> list[Records]:
    """The Swaps of one small-balance conversion to BNB (an ``asset/dribblet`` entry), one per
    asset given up; details without an asset, time or amount are skipped."""
    trans_id = dribblet.get("transId")
    if trans_id in (None, ""):
        return []
    found: list[Records] = []
    seen: set[str] = set()
    for detail in dribblet.get("userAssetDribbletDetails") or []:
        code = detail.get("fromAsset")
        at = _time(detail.get("operateTime") or dribblet.get("operateTime"))
        given, got = positive(detail.get("amount")), positive(detail.get("transferedAmount"))
        if not code or at is None or given.is_zero() or got.is_zero():
            continue
        tx_id = f"{venue.connection_id}_DUST_{trans_id}_{code}"
        if tx_id in seen:  # one asset twice in a conversion: tell them apart by their own ids
            tx_id = f"{tx_id}_{detail.get('transId')}"
        seen.add(tx_id)
        charge = positive(detail.get("serviceChargeAmount"))
        fee = None if charge.is_zero() else ("BNB", charge)
        found.append(_swap(venue, tx_id, at, ("BNB", got), (str(code), given), fee))
    return found


def transfer_id(transfer: Mapping[str, Any]) -> str:
    """The exchange's id of a transfer (its chain hash when it has none)."""
    return str(transfer.get("id") or transfer.get("txid") or "")


def transfer_records(transfer: Mapping[str, Any], venue: AccountVenue) -> Records | None:
    """A completed deposit or withdrawal; None when it has no id, time or amount."""
    code, at, own_id = transfer.get("currency"), transfer.get("timestamp"), transfer_id(transfer)
    value = positive(transfer.get("amount"))
    if not code or at is None or not own_id or value.is_zero():
        return None
    at = int(at)
    withdraw = transfer.get("type") == "withdrawal"
    operation = "Withdraw" if withdraw else "Deposit"
    kind = "WITHDRAW" if withdraw else "DEPOSIT"
    log = _log(venue, f"{venue.connection_id}_{kind}_{code}_{own_id}", code, value, operation, at)
    if withdraw:
        log.change = decimals.to_fixed(value.copy_negate())
    log.txId = f"{log.id}_TX"
    transaction = Transaction(
        id=log.txId,
        connectionId=venue.connection_id,
        importIndex=at,
        platformId=venue.platform_id,
        timestamp=at,
        type=operation,
        wallet=venue.wallet,
    )
    if withdraw:
        transaction.outgoing, transaction.outgoingAsset = decimals.to_fixed(value), log.assetId
    else:
        transaction.incoming, transaction.incomingAsset = decimals.to_fixed(value), log.assetId
    logs = [log]
    fee = transfer.get("fee") or {}
    fee_cost = positive(fee.get("cost"))
    if not fee_cost.is_zero():
        fee_code = str(fee.get("currency") or code)
        fee_log = _log(venue, f"{log.id}_FEE", fee_code, fee_cost.copy_negate(), "Fee", at)
        fee_log.txId = transaction.id
        logs.append(fee_log)
        transaction.fee = decimals.to_string(fee_cost)
        transaction.feeAsset = fee_log.assetId
    return logs, transaction
