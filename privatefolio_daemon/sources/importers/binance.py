"""Binance account statement (file-formats §2.1): one log per row, merged and paired into swaps."""

from dataclasses import replace
from decimal import Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import fixed_and_string, negate, price_text
from privatefolio_daemon.sources.importers.base import Parser, ParserContext, RowResult
from privatefolio_daemon.sources.importers.csv_rows import split_generic
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

PLATFORM_ID = "ex.binance"

_REWRITES = (
    ("Transaction ", ""),
    ("Sold", "Sell"),
    ("Fiat ", ""),
    ("Asset Conversion Transfer", "Conversion"),
    ("Crypto Box", "Reward"),
    ("Distribution", "Reward"),
    ("Insurance Fund Compensation", "Insurance Fund"),
    ("Isolated ", ""),
    ("Binance Convert", "Conversion"),
    ("Withdrawal", "Withdraw"),
    ("Revenue", "Buy"),
    ("Spend", "Sell"),
)
_KNOWN_OPERATIONS = frozenset({"Deposit", "Buy", "Sell", "Fee", "Withdraw", "Reward"})
_GROUPABLE = frozenset({"Buy", "Sell", "Fee"})
_operation_cache: dict[str, str] = {}


def _rewrite_operation(text: str) -> str:
    if text in _KNOWN_OPERATIONS:
        return text
    operation = _operation_cache.get(text)
    if operation is None:
        operation = text
        for old, new in _REWRITES:
            operation = operation.replace(old, new, 1)
        if "Small Assets Exchange" in operation:
            operation = "Conversion"
        elif "Transfer Between" in operation:
            operation = "Transfer"
        if len(_operation_cache) < 10_000:
            _operation_cache[text] = operation
    return operation


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    _, utc_time, account, operation_text, coin, change_text, remark = split_generic(row, 7)
    if "duplicate" in remark.lower():
        return RowResult()
    operation = _rewrite_operation(operation_text)
    change, change_string = fixed_and_string(change_text, "Change")
    negative = change.startswith("-")
    if operation == "Buy" and negative:
        operation = "Sell"
    elif operation == "Sell" and not negative and change != "0":
        operation = "Buy"
    asset_id = f"{PLATFORM_ID}:{coin}"
    wallet = f"Binance {account}"
    timestamp = parse_utc_datetime(utc_time, "UTC_Time")
    log_id = (
        f"{file_import_id}_{fast_string_hash(f'{asset_id}_{operation}_{change_string}')}_{index}"
    )
    log = AuditLog(
        id=log_id,
        assetId=asset_id,
        change=change,
        fileImportId=file_import_id,
        importIndex=index,
        operation=operation,
        platformId=PLATFORM_ID,
        timestamp=timestamp,
        wallet=wallet,
    )
    if operation in ("Deposit", "Reward", "Withdraw"):
        log.txId = f"{log_id}_TX"
        transaction = Transaction(
            id=log.txId,
            fileImportId=file_import_id,
            importIndex=index,
            platformId=PLATFORM_ID,
            timestamp=timestamp,
            type=operation,
            wallet=wallet,
        )
        if operation == "Withdraw":
            transaction.outgoing = negate(change)
            transaction.outgoingAsset = asset_id
        else:
            transaction.incoming = change
            transaction.incomingAsset = asset_id
        return RowResult([log], [transaction])
    return RowResult([log], [])


def _sum(logs: list[AuditLog]) -> Decimal:
    total = Decimal(0)
    for log in logs:
        total = decimals.add(total, decimals.parse(log.change))
    return total


def _magnitude(logs: list[AuditLog]) -> tuple[Decimal, str]:
    """|Σ change| and its big.js ``toString()`` (single logs skip the Decimal formatting)."""
    if len(logs) == 1:
        change = logs[0].change.removeprefix("-")
        return decimals.parse(change), fixed_and_string(change, "Change")[1]
    total = abs(_sum(logs))
    return total, decimals.to_string(total)


def merge_logs(logs: list[AuditLog], file_import_id: str) -> list[AuditLog]:
    """Same timestamp, asset, operation and wallet → one log carrying the sum."""
    groups: dict[tuple[int, str, str, str], list[AuditLog]] = {}
    for log in logs:
        groups.setdefault((log.timestamp, log.assetId, log.operation, log.wallet), []).append(log)
    if len(groups) == len(logs):
        return logs
    merged: list[AuditLog] = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        first = group[0]
        change = decimals.to_fixed(_sum(group))
        log_hash = fast_string_hash(f"{first.assetId}_{first.operation}_{change}")
        merged.append(replace(first, change=change, id=f"{file_import_id}_{log_hash}"))
    return merged


def _is_swap(group: list[AuditLog]) -> bool:
    operations = {log.operation for log in group}
    return operations <= _GROUPABLE and "Buy" in operations and "Sell" in operations


def _swap(group: list[AuditLog], file_import_id: str) -> Transaction:
    buys = [log for log in group if log.operation == "Buy"]
    sells = [log for log in group if log.operation == "Sell"]
    fees = [log for log in group if log.operation == "Fee"]
    incoming, incoming_text = _magnitude(buys)
    outgoing, outgoing_text = _magnitude(sells)
    price = price_text(outgoing, incoming)
    incoming_asset, outgoing_asset = buys[0].assetId, sells[0].assetId
    tx_hash = fast_string_hash(f"{incoming_asset}_{outgoing_asset}_{price or 'undefined'}")
    first = group[0]
    return Transaction(
        id=f"{file_import_id}_{tx_hash}",
        incomingAsset=incoming_asset,
        incoming=incoming_text,
        feeAsset=fees[0].assetId if fees else None,
        fee=_magnitude(fees)[1] if fees else None,
        fileImportId=file_import_id,
        importIndex=first.timestamp,
        outgoingAsset=outgoing_asset,
        outgoing=outgoing_text,
        platformId=first.platformId,
        price=price,
        timestamp=first.timestamp,
        type="Swap",
        wallet=first.wallet,
    )


def extract_swaps(logs: list[AuditLog], file_import_id: str) -> list[Transaction]:
    """Buy + Sell (+ Fee) logs of one timestamp and wallet → a Swap; the logs get its id."""
    groups: dict[tuple[int, str, bool], list[AuditLog]] = {}
    for log in logs:
        key = (log.timestamp, log.wallet, log.operation in _GROUPABLE)
        groups.setdefault(key, []).append(log)
    swaps: list[Transaction] = []
    for group in groups.values():
        if len(group) > 1 and _is_swap(group):
            swap = _swap(group, file_import_id)
            for log in group:
                log.txId = swap.id
            swaps.append(swap)
    return swaps


def finalise_group(
    logs: list[AuditLog], file_import_id: str
) -> tuple[list[AuditLog], list[Transaction]]:
    merged = merge_logs(logs, file_import_id)
    return merged, extract_swaps(merged, file_import_id)


PARSER = Parser(
    parser_id="binance-account-statement",
    extension_id="binance-file-import",
    platform_id=PLATFORM_ID,
    headers=(
        '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"',
        "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark",
    ),
    parse_row=parse_row,
    finalise_group=finalise_group,
)
