"""Etherscan "blocks validated" (block rewards) export (file-formats §3.4)."""

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
from privatefolio_daemon.sources.importers.evm import (
    ETHEREUM_NATIVE_ASSET_ID,
    format_address,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_unix_seconds

_COLUMNS = 10


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_platform()
    columns = split_outside_quotes(row)
    if len(columns) != _COLUMNS:
        raise ImportFormatError(
            f"Invalid number of columns: expected {_COLUMNS}, received {len(columns)}"
        )
    block_number = columns[0]
    timestamp = parse_unix_seconds(columns[1], "UnixTimestamp")
    miner = format_address(columns[5])
    reward = numeric_column(columns[9])
    parse_amount(reward, "Reward(ETH)")
    tx_id = f"{file_import_id}_{miner}+{block_number}_BLOCK_{index}"
    log = AuditLog(
        id=f"{tx_id}_VALUE_0",
        assetId=ETHEREUM_NATIVE_ASSET_ID,
        change=reward,
        fileImportId=file_import_id,
        importIndex=index,
        operation="Reward",
        platformId=platform_id,
        timestamp=timestamp,
        txId=tx_id,
        wallet=miner,
    )
    has_reward = reward != "0"
    transaction = Transaction(
        id=tx_id,
        incomingAsset=ETHEREUM_NATIVE_ASSET_ID if has_reward else None,
        incoming=reward if has_reward else None,
        fileImportId=file_import_id,
        importIndex=index,
        platformId=platform_id,
        timestamp=timestamp,
        type="Reward",
        wallet=miner,
    )
    return RowResult([log], [transaction])


PARSER = Parser(
    parser_id="etherscan-block-rewards",
    extension_id="etherscan-file-import",
    platform_id=None,
    platform_id_from_context=True,
    headers=(
        '"Blockno","UnixTimestamp","DateTime (UTC)","Txn","Uncles","Miner","GasUsed","GasLimit",'
        '"BaseFee","Reward(ETH)"',
    ),
    parse_row=parse_row,
    requirements=(PLATFORM_REQUIREMENT,),
)
