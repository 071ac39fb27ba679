"""Binance account statement (file-formats §2.1): one log per row, merged and paired into swaps."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import (
    big_string,
    fixed_and_string,
    fixed_and_string_exact,
    negate,
    price_text,
    string_of_fixed,
    string_of_fixed_exact,
)
from privatefolio_daemon.sources.importers.base import (
    GroupFinaliser,
    ImportFormatError,
    Parser,
    ParserContext,
    RowParser,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_generic, split_generic_exact
from privatefolio_daemon.sources.importers.fast_hash import fast_number_hash
from privatefolio_daemon.sources.importers.record_builders import new_audit_log, new_transaction
from privatefolio_daemon.sources.importers.timestamps import (
    parse_utc_datetime,
    parse_utc_datetime_exact,
)

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
_SINGLE_ROW_TRANSACTIONS = frozenset({"Deposit", "Reward", "Withdraw"})
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


@dataclass(frozen=True, slots=True)
class RowTools:
    """The text helpers a Binance statement is read with: fast ones, or their exact references."""

    split: Callable[[str, int], list[str]]
    amount_forms: Callable[[str, str], tuple[str, str]]
    string_of_fixed: Callable[[str], str]
    parse_time: Callable[[str, str], int]
    hash_number: Callable[[str, str], str]
    """``(prefix, number)`` → the id hash of ``prefix + number``."""


def _hash_joined(prefix: str, number: str) -> str:
    return string_hash(prefix + number)


FAST_TOOLS = RowTools(
    split_generic,
    fixed_and_string,
    string_of_fixed,
    parse_utc_datetime,
    fast_number_hash,
)
EXACT_TOOLS = RowTools(
    split_generic_exact,
    fixed_and_string_exact,
    string_of_fixed_exact,
    parse_utc_datetime_exact,
    _hash_joined,
)


def row_parser(tools: RowTools) -> RowParser:
    """The row → audit log (+ Deposit/Reward/Withdraw transaction) step of §2.1."""
    split, amount_forms, parse_time, hash_number = (
        tools.split,
        tools.amount_forms,
        tools.parse_time,
        tools.hash_number,
    )

    def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
        _, utc_time, account, operation_text, coin, change_text, remark = split(row, 7)
        if remark and "duplicate" in remark.lower():
            return RowResult()
        if not coin:
            raise ImportFormatError('Missing value in column "Coin"', column="Coin")
        operation = _rewrite_operation(operation_text)
        change, change_string = amount_forms(change_text, "Change")
        negative = change[0] == "-"
        if operation == "Buy" and negative:
            operation = "Sell"
        elif operation == "Sell" and not negative and change != "0":
            operation = "Buy"
        asset_id = f"{PLATFORM_ID}:{coin}"
        wallet = f"Binance {account}"
        timestamp = parse_time(utc_time, "UTC_Time")
        log_hash = hash_number(f"{asset_id}_{operation}_", change_string)
        log_id = f"{file_import_id}_{log_hash}_{index}"
        tx_id = f"{log_id}_TX" if operation in _SINGLE_ROW_TRANSACTIONS else None
        log = new_audit_log(
            log_id, asset_id, change, file_import_id, index, operation, PLATFORM_ID, timestamp,
            tx_id, wallet,
        )  # fmt: skip
        if tx_id is None:
            return RowResult([log], [])
        if operation == "Withdraw":
            transaction = new_transaction(
                tx_id, None, None, None, None, file_import_id, index, asset_id, negate(change),
                PLATFORM_ID, None, timestamp, operation, wallet,
            )  # fmt: skip
        else:
            transaction = new_transaction(
                tx_id, asset_id, change, None, None, file_import_id, index, None, None,
                PLATFORM_ID, None, timestamp, operation, wallet,
            )  # fmt: skip
        return RowResult([log], [transaction])

    return parse_row


def _sum(logs: list[AuditLog]) -> Decimal:
    total = Decimal(0)
    for log in logs:
        total = decimals.add(total, decimals.parse(log.change))
    return total


def _magnitude_text(logs: list[AuditLog], tools: RowTools) -> str:
    """|Σ change| in big.js ``toString()`` form (a single log's text is already ``toFixed()``)."""
    if len(logs) == 1:
        return tools.string_of_fixed(logs[0].change.removeprefix("-"))
    return big_string(_sum(logs).copy_abs())


def _magnitude(logs: list[AuditLog], tools: RowTools) -> tuple[Decimal, str]:
    """|Σ change| and its big.js ``toString()``."""
    if len(logs) == 1:
        return Decimal(logs[0].change.removeprefix("-")), _magnitude_text(logs, tools)
    total = _sum(logs).copy_abs()
    return total, big_string(total)


def merge_logs(
    logs: list[AuditLog], file_import_id: str, tools: RowTools = FAST_TOOLS
) -> list[AuditLog]:
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
        log_hash = tools.hash_number(f"{first.assetId}_{first.operation}_", change)
        merged.append(replace(first, change=change, id=f"{file_import_id}_{log_hash}"))
    return merged


def _is_swap(group: list[AuditLog]) -> bool:
    operations = {log.operation for log in group}
    return operations <= _GROUPABLE and "Buy" in operations and "Sell" in operations


def _by_operation(group: list[AuditLog]) -> tuple[list[AuditLog], list[AuditLog], list[AuditLog]]:
    buys: list[AuditLog] = []
    sells: list[AuditLog] = []
    fees: list[AuditLog] = []
    for log in group:
        if log.operation == "Buy":
            buys.append(log)
        elif log.operation == "Sell":
            sells.append(log)
        else:
            fees.append(log)
    return buys, sells, fees


def _swap(group: list[AuditLog], file_import_id: str, tools: RowTools) -> Transaction:
    """The Swap of a group of Buy, Sell and maybe Fee logs (at least one Buy and one Sell)."""
    buys, sells, fees = _by_operation(group)
    incoming, incoming_text = _magnitude(buys, tools)
    outgoing, outgoing_text = _magnitude(sells, tools)
    price = price_text(outgoing, incoming)
    incoming_asset, outgoing_asset = buys[0].assetId, sells[0].assetId
    tx_hash = tools.hash_number(f"{incoming_asset}_{outgoing_asset}_", price or "undefined")
    first = group[0]
    return new_transaction(
        f"{file_import_id}_{tx_hash}", incoming_asset, incoming_text,
        fees[0].assetId if fees else None, _magnitude_text(fees, tools) if fees else None,
        file_import_id, first.timestamp, outgoing_asset, outgoing_text, first.platformId, price,
        first.timestamp, "Swap", first.wallet,
    )  # fmt: skip


def extract_swaps(
    logs: list[AuditLog], file_import_id: str, tools: RowTools = FAST_TOOLS
) -> list[Transaction]:
    """Buy + Sell (+ Fee) logs of one timestamp and wallet → a Swap; the logs get its id."""
    groups: dict[tuple[int, str, bool], list[AuditLog]] = {}
    for log in logs:
        key = (log.timestamp, log.wallet, log.operation in _GROUPABLE)
        groups.setdefault(key, []).append(log)
    swaps: list[Transaction] = []
    for group in groups.values():
        if len(group) > 1 and _is_swap(group):
            swap = _swap(group, file_import_id, tools)
            for log in group:
                log.txId = swap.id
            swaps.append(swap)
    return swaps


def group_finaliser(tools: RowTools) -> GroupFinaliser:
    def finalise_group(
        logs: list[AuditLog], file_import_id: str
    ) -> tuple[list[AuditLog], list[Transaction]]:
        merged = merge_logs(logs, file_import_id, tools)
        return merged, extract_swaps(merged, file_import_id, tools)

    return finalise_group


parse_row = row_parser(FAST_TOOLS)
finalise_group = group_finaliser(FAST_TOOLS)

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
EXACT_PARSER = replace(
    PARSER, parse_row=row_parser(EXACT_TOOLS), finalise_group=group_finaliser(EXACT_TOOLS)
)
"""The same format read with the exact reference helpers only (tests compare the two)."""
