"""Etherscan "internal transactions" export (file-formats §3.2)."""

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
from privatefolio_daemon.sources.importers.etherscan_normal import value_operation
from privatefolio_daemon.sources.importers.evm import (
    ETHEREUM_NATIVE_ASSET_ID,
    WETH_ASSET_ID,
    WETH_CONTRACT,
    format_address,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

_COLUMNS = 17
_HEADER_TAIL = (
    '"Blockno","UnixTimestamp","DateTime (UTC)","ParentTxFrom","ParentTxTo","ParentTxETH_Value",'
    '"From","TxTo","ContractAddress","Value_IN(ETH)","Value_OUT(ETH)","CurrentValue",'
    '"Historical $Price/Eth","Status","ErrCode","Type"'
)


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_platform()
    columns = split_outside_quotes(row)
    if len(columns) != _COLUMNS:
        raise ImportFormatError(
            f"Invalid number of columns: expected {_COLUMNS}, received {len(columns)}"
        )
    tx_hash, datetime_text = columns[0], columns[3]
    parent_sender = format_address(columns[4])
    sender, recipient = format_address(columns[7]), format_address(columns[8])
    incoming, outgoing = numeric_column(columns[10]), numeric_column(columns[11])
    parse_amount(incoming, "Value_IN(ETH)")
    parse_amount(outgoing, "Value_OUT(ETH)")
    timestamp = parse_utc_datetime(datetime_text, "DateTime (UTC)")
    tx_id = f"{file_import_id}_{tx_hash}_INTERNAL_{index}"
    wallet = parent_sender if incoming == "0" else recipient
    operation = value_operation(incoming, outgoing)
    transaction = Transaction(
        id=tx_id,
        incomingAsset=ETHEREUM_NATIVE_ASSET_ID,
        incoming=incoming,
        fileImportId=file_import_id,
        importIndex=index,
        platformId=platform_id,
        timestamp=timestamp,
        type="Unknown" if operation == "Smart Contract" else operation,
        wallet=wallet,
        metadata={"txHash": tx_hash},
    )
    if operation == "Smart Contract":
        return RowResult([], [transaction])

    def log(suffix: str, asset: str, change: str, kind: str, import_index: float) -> AuditLog:
        return AuditLog(
            id=f"{tx_id}_{suffix}",
            assetId=asset,
            change=change,
            fileImportId=file_import_id,
            importIndex=import_index,
            operation=kind,
            platformId=platform_id,
            timestamp=timestamp,
            txId=tx_id,
            wallet=wallet,
        )

    value_change = incoming if operation == "Deposit" else f"-{outgoing}"
    logs = [log(f"VALUE_{index}", ETHEREUM_NATIVE_ASSET_ID, value_change, operation, index)]
    if sender == WETH_CONTRACT:
        logs.append(log(f"WETH_{index}", WETH_ASSET_ID, f"-{incoming}", "Withdraw", index + 0.1))
        transaction.type = "Unwrap"
        transaction.outgoingAsset = WETH_ASSET_ID
        transaction.outgoing = value_change.removeprefix("-")
    return RowResult(logs, [transaction])


PARSER = Parser(
    parser_id="etherscan-internal-txns",
    extension_id="etherscan-file-import",
    platform_id=None,
    platform_id_from_context=True,
    headers=(f'"Txhash",{_HEADER_TAIL}', f'"Transaction Hash",{_HEADER_TAIL}'),
    parse_row=parse_row,
    requirements=(PLATFORM_REQUIREMENT,),
)
