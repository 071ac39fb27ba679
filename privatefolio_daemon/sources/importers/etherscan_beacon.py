"""Etherscan beacon-chain withdrawals export (file-formats §3.5)."""

from privatefolio_daemon.sources.importers.amounts import trimmed
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_outside_quotes_exactly
from privatefolio_daemon.sources.importers.evm import (
    NativeIncome,
    format_address,
    native_asset_id,
    native_income_row,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_unix_seconds

_COLUMNS = 7


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_evm_platform()
    columns = split_outside_quotes_exactly(row, _COLUMNS)
    block_number, validator_index, recipient = columns[1], columns[4], columns[5]
    value_words = columns[6].split()
    amount = trimmed(numeric_column(value_words[0]) if value_words else "", "Value")
    income = NativeIncome(
        tx_id=f"{file_import_id}_{validator_index}+{block_number}_BEACON_{index}",
        asset_id=native_asset_id(platform_id),
        amount=amount,
        operation="Unstake",
        timestamp=parse_unix_seconds(columns[2], "UnixTimestamp"),
        wallet=format_address(recipient),
    )
    return native_income_row(income, index, file_import_id, platform_id)


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
