"""Coinmama purchase history (file-formats §2.2): completed card purchases only."""

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import price_text, trimmed
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import column_count_error
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import parse_us_datetime

PLATFORM_ID = "ex.coinmama"
WALLET = "Coinmama Spot"
_COLUMNS = 6


def _amount_and_symbol(text: str, column: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) != 2:
        raise ImportFormatError(
            f'Invalid amount in column "{column}": "{text}" (expected "<number> <symbol>")',
            column=column,
        )
    return trimmed(parts[0], column), parts[1]


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    columns = row.split(",")
    if len(columns) < _COLUMNS or any(extra.strip() for extra in columns[_COLUMNS:]):
        raise column_count_error(_COLUMNS, len(columns))  # a shifted status would drop the row
    label, received, paid, date, time, status = columns[:_COLUMNS]
    if status.strip() != "Completed":
        return RowResult()
    operation = label.replace("Buy (Credit or Debit Card)", "Buy with Credit Card", 1)
    timestamp = parse_us_datetime(f"{date} {time}", "Date Created")
    incoming, incoming_symbol = _amount_and_symbol(received, "Type")
    outgoing, outgoing_symbol = _amount_and_symbol(paid, "Amount")
    incoming_value = decimals.parse(incoming)
    price = price_text(decimals.parse(outgoing), incoming_value)
    tx_id = f"{file_import_id}_{fast_string_hash(f'{index}_{row}')}"
    incoming_asset = f"coinmama:{incoming_symbol}"
    log = AuditLog(
        id=f"{tx_id}_0",
        assetId=incoming_asset,
        change=incoming,
        fileImportId=file_import_id,
        importIndex=index,
        operation=operation,
        platformId=PLATFORM_ID,
        timestamp=timestamp,
        wallet=WALLET,
    )
    transaction = Transaction(
        id=tx_id,
        incomingAsset=incoming_asset,
        incoming=incoming,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=f"coinmama:{outgoing_symbol}",
        outgoing=outgoing,
        platformId=PLATFORM_ID,
        price=price,
        timestamp=timestamp,
        type="Buy",
        wallet=WALLET,
    )
    return RowResult([log], [transaction])


PARSER = Parser(
    parser_id="coinmama",
    extension_id="coinmama-file-import",
    platform_id=PLATFORM_ID,
    headers=("Transaction, Type,\tAmount,\tDate Created,\tStatus",),
    parse_row=parse_row,
    row_ids_hashed=True,
)
