"""Etherscan "normal transactions" export (file-formats §3.1)."""

from typing import Any

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import parse_amount
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_generic
from privatefolio_daemon.sources.importers.evm import (
    WETH_ASSET_ID,
    WETH_CONTRACT,
    format_address,
    native_asset_id,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

_HEADER_TAIL = (
    '"Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress","Value_IN(ETH)",'
    '"Value_OUT(ETH)","CurrentValue","TxnFee(ETH)","TxnFee(USD)","Historical $Price/Eth",'
    '"Status","ErrCode","Method"'
)


def value_operation(incoming: str, outgoing: str) -> str:
    if outgoing == "0" and incoming != "0":
        return "Deposit"
    if incoming == "0" and outgoing == "0":
        return "Smart Contract"
    return "Withdraw"


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_platform()
    columns = split_generic(row, 16)
    tx_hash, datetime_text = columns[0], columns[3]
    sender, recipient = format_address(columns[4]), format_address(columns[5])
    contract_address = columns[6]
    incoming = numeric_column(columns[7])
    outgoing = numeric_column(columns[8])
    fee_text = numeric_column(columns[10])
    parse_amount(incoming, "Value_IN(ETH)")
    parse_amount(outgoing, "Value_OUT(ETH)")
    parse_amount(fee_text, "TxnFee(ETH)")
    failed = columns[13] == "Error(0)"
    method = columns[15].strip()
    timestamp = parse_utc_datetime(datetime_text, "DateTime (UTC)")
    tx_id = f"{file_import_id}_{tx_hash}_NORMAL_{index}"
    asset_id = native_asset_id(platform_id)
    wallet = sender if incoming == "0" else recipient
    operation = value_operation(incoming, outgoing)

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

    logs: list[AuditLog] = []
    if operation == "Smart Contract":
        tx_type = "Approve" if method == "Approve" else "Unknown"
    else:
        tx_type = operation
        if not failed:
            change = incoming if operation == "Deposit" else f"-{outgoing}"
            logs.append(log("VALUE_0", asset_id, change, operation, index))
            if operation == "Withdraw" and recipient == WETH_CONTRACT:
                logs[-1].operation = "Wrap"
                logs.append(log(f"WETH_{index}", WETH_ASSET_ID, outgoing, "Mint", index + 0.1))
    fee = fee_asset = None
    if fee_text != "0" and incoming == "0":
        fee, fee_asset = f"-{fee_text}", asset_id
        logs.append(log("FEE_0", asset_id, fee, "Fee", index + 0.1))

    metadata: dict[str, Any] = {}
    if contract_address:
        metadata["contractAddress"] = contract_address
    if failed:
        metadata["failed"] = True
    metadata["method"] = method
    metadata["txHash"] = tx_hash
    has_incoming = not failed and incoming != "0"
    has_outgoing = not failed and outgoing != "0"
    transaction = Transaction(
        id=tx_id,
        incomingAsset=asset_id if has_incoming else None,
        incoming=incoming if has_incoming else None,
        feeAsset=fee_asset,
        fee=fee,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=asset_id if has_outgoing else None,
        outgoing=outgoing if has_outgoing else None,
        platformId=platform_id,
        timestamp=timestamp,
        type=tx_type,
        wallet=wallet,
        metadata=metadata,
    )
    if len(logs) == 3:
        transaction.type = "Wrap"
        transaction.incomingAsset = logs[1].assetId
        transaction.incoming = logs[1].change
    return RowResult(logs, [transaction])


PARSER = Parser(
    parser_id="etherscan-user-txns",
    extension_id="etherscan-file-import",
    platform_id=None,
    headers=(f'"Txhash",{_HEADER_TAIL}', f'"Transaction Hash",{_HEADER_TAIL}'),
    parse_row=parse_row,
    requirements=(PLATFORM_REQUIREMENT,),
)
