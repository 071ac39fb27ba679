"""MEXC spot trade history (file-formats §2.3): one trade per row, three logs each."""

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import magnitude, spent, trimmed
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_generic
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

PLATFORM_ID = "ex.mxc"
WALLET = "MEXC Spot"


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    pair, time, side, price, amount, total, fee, role = split_generic(row, 8)
    base, separator, quote = pair.partition("_")
    if not separator or not base or not quote:
        raise ImportFormatError(f'Invalid pair in column "Pairs": "{pair}"', column="Pairs")
    if side not in ("BUY", "SELL"):
        raise ImportFormatError(f'Invalid side in column "Side": "{side}"', column="Side")
    price = trimmed(price, "Filled Price")
    amount = magnitude(amount, "Executed Amount")
    total = magnitude(total, "Total")
    fee = magnitude(fee, "Fee")
    timestamp = parse_utc_datetime(time, "Time")
    base_asset, quote_asset = f"mexc:{base}", f"mexc:{quote}"
    tx_id = f"{file_import_id}_{fast_string_hash(f'{index}_{row}')}"

    def log(number: int, operation: str, asset: str, change: str) -> AuditLog:
        return AuditLog(
            id=f"{tx_id}_{number}",
            assetId=asset,
            change=change,
            fileImportId=file_import_id,
            importIndex=index + number / 10,
            operation=operation,
            platformId=PLATFORM_ID,
            timestamp=timestamp,
            wallet=WALLET,
        )

    buying = side == "BUY"
    if buying:
        logs = [log(0, "Sell", quote_asset, spent(total)), log(1, "Buy", base_asset, amount)]
    else:
        logs = [log(0, "Sell", base_asset, spent(amount)), log(1, "Buy", quote_asset, total)]
    logs.append(log(2, "Fee", quote_asset, spent(fee)))  # even a zero one (§2.3)
    transaction = Transaction(
        id=tx_id,
        incomingAsset=base_asset if buying else quote_asset,
        incoming=amount if buying else total,
        feeAsset=quote_asset,
        fee=fee,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=quote_asset if buying else base_asset,
        outgoing=total if buying else amount,
        platformId=PLATFORM_ID,
        price=price,
        role=role,
        timestamp=timestamp,
        type="Buy" if buying else "Sell",
        wallet=WALLET,
    )
    return RowResult(logs, [transaction])


PARSER = Parser(
    parser_id="mexc",
    extension_id="mexc-file-import",
    platform_id=PLATFORM_ID,
    headers=("Pairs,Time,Side,Filled Price,Executed Amount,Total,Fee,Role",),
    parse_row=parse_row,
    row_ids_hashed=True,
)
