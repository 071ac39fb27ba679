"""Etherscan "blocks validated" (block rewards) export (file-formats §3.4)."""

from privatefolio_daemon.sources.importers.amounts import trimmed
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_outside_quotes_exactly
from privatefolio_daemon.sources.importers.evm import (
    ETHEREUM_NATIVE_ASSET_ID,
    NativeIncome,
    format_address,
    native_income_row,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_unix_seconds

_COLUMNS = 10


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_evm_platform()
    columns = split_outside_quotes_exactly(row, _COLUMNS)
    miner = format_address(columns[5])
    reward = trimmed(numeric_column(columns[9]), "Reward(ETH)")
    income = NativeIncome(
        tx_id=f"{file_import_id}_{miner}+{columns[0]}_BLOCK_{index}",
        asset_id=ETHEREUM_NATIVE_ASSET_ID,
        amount=reward,
        operation="Reward",
        timestamp=parse_unix_seconds(columns[1], "UnixTimestamp"),
        wallet=miner,
    )
    # A zero reward leaves the transaction's incoming side empty (the beacon export keeps it).
    return native_income_row(income, index, file_import_id, platform_id, zero_is_income=False)


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
