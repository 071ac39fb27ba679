"""CoinStats transaction export (file-formats §2.5), split on plain commas."""

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import fixed_and_string, negate
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import column_count_error
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

PLATFORM_ID = "app.coinstats"
_COLUMNS = 14
_TYPE_REWRITES = {"Sent": "Withdraw", "Received": "Deposit"}
_FAKE_NOTE = "fake transaction created to fill your balance"


def _skipped(coin_name: str, tx_type: str, notes: str) -> bool:
    """§2.5's skipped rows; only the "duplicate" note is matched in any case."""
    return (
        "duplicate" in notes.lower()
        or _FAKE_NOTE in notes
        or "ERC721" in coin_name
        or (tx_type == "Fill")
    )


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    columns = row.split(",")
    if len(columns) < _COLUMNS:  # more: a comma in Notes, whose first part is read
        raise column_count_error(_COLUMNS, len(columns))
    portfolio, coin_name, symbol = columns[0], columns[1], columns[2]
    tx_type = _TYPE_REWRITES.get(columns[5], columns[5])
    if _skipped(coin_name, tx_type, columns[13]):
        return RowResult()
    if not symbol.strip():
        raise ImportFormatError('Missing value in column "Coin Symbol"', column="Coin Symbol")
    change, change_string = fixed_and_string(columns[6], "Amount")
    if tx_type == "Withdraw" and not change.startswith("-") and change != "0":
        change = negate(change)  # the id hashes the Amount as written
    timestamp = parse_utc_datetime(columns[12], "Date")
    asset_id = f"{PLATFORM_ID}:{symbol}"
    log_id = f"{file_import_id}_{fast_string_hash(f'{asset_id}_{tx_type}_{change_string}')}_{index}"
    tx_id = f"{log_id}_TX"
    log = AuditLog(
        id=log_id,
        assetId=asset_id,
        change=change,
        fileImportId=file_import_id,
        importIndex=index,
        operation=tx_type,
        platformId=PLATFORM_ID,
        timestamp=timestamp,
        txId=tx_id,
        wallet=portfolio,
    )
    magnitude = change.removeprefix("-")
    incoming = tx_type in ("Buy", "Deposit")
    outgoing = tx_type in ("Sell", "Withdraw")
    transaction = Transaction(
        id=tx_id,
        incomingAsset=asset_id if incoming else None,
        incoming=magnitude if incoming else None,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=asset_id if outgoing else None,
        outgoing=magnitude if outgoing else None,
        platformId=PLATFORM_ID,
        timestamp=timestamp,
        type=tx_type,
        wallet=portfolio,
    )
    return RowResult([log], [transaction])


PARSER = Parser(
    parser_id="coinstats-transactions",
    extension_id="coinstats-file-import",
    platform_id=PLATFORM_ID,
    headers=(
        '"Portfolio","Coin Name","Coin Symbol","Exchange","Pair","Type","Amount","Price",'
        '"Price USD","Fee Percent","Fee Amount","Fee Currency","Date","Notes"',
        "Portfolio,Coin Name,Coin Symbol,Exchange,Pair,Type,Amount,Price,Price USD,Fee Percent,"
        "Fee Amount,Fee Currency,Date,Notes",
    ),
    parse_row=parse_row,
)
