"""Etherscan beacon-chain withdrawals export (file-formats §3.5)."""

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import parse_amount
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_outside_quotes
from privatefolio_daemon.sources.importers.evm import native_asset_id, numeric_column
from privatefolio_daemon.sources.importers.timestamps import parse_unix_seconds

_COLUMNS = 7


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_platform()
    columns = split_outside_quotes(row)
    if len(columns) != _COLUMNS:
        raise ImportFormatError(
            f"Invalid number of columns: expected {_COLUMNS}, received {len(columns)}"
        )
    block_number = columns[1]
    timestamp = parse_unix_seconds(columns[2], "UnixTimestamp")
    validator_index, recipient = columns[4], columns[5]
    value_words = columns[6].split()
    amount = numeric_column(value_words[0]) if value_words else ""
    parse_amount(amount, "Value")
    asset_id = native_asset_id(platform_id)
    tx_id = f"{file_import_id}_{validator_index}+{block_number}_BEACON_{index}"
    log = AuditLog(
        id=f"{tx_id}_VALUE_0",
        assetId=asset_id,
        change=amount,
        fileImportId=file_import_id,
        importIndex=index,
        operation="Unstake",
        platformId=platform_id,
        timestamp=timestamp,
        txId=tx_id,
        wallet=recipient,
    )
    transaction = Transaction(
        id=tx_id,
        incomingAsset=asset_id,
        incoming=amount,
        fileImportId=file_import_id,
        importIndex=index,
        platformId=platform_id,
        timestamp=timestamp,
        type="Unstake",
        wallet=recipient,
    )
    return RowResult([log], [transaction])


PARSER = Parser(
    parser_id="etherscan-beacon-withdrawals",
    extension_id="etherscan-file-import",
    platform_id=None,
    platform_id_from_context=True,
    headers=(
        '"Index","Blockno","UnixTimestamp","DateTime (UTC)","Validator Index","Recipient","Value"',
    ),
    parse_row=parse_row,
    requirements=(PLATFORM_REQUIREMENT,),
)
