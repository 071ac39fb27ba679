"""Etherscan "internal transactions" export (file-formats §3.2)."""

from dataclasses import dataclass

from privatefolio_daemon.domain.records import AuditLog
from privatefolio_daemon.sources.importers.amounts import magnitude, spent
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_outside_quotes_exactly
from privatefolio_daemon.sources.importers.etherscan_normal import RecordOrigin, value_operation
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


@dataclass(frozen=True, slots=True)
class InternalTransfer:
    """One row of the internal-transactions list, amounts as decimal text (``"0"`` when none)."""

    tx_hash: str
    timestamp: int
    parent_sender: str
    sender: str
    recipient: str
    incoming: str
    outgoing: str


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_evm_platform()
    columns = split_outside_quotes_exactly(row, _COLUMNS)
    incoming = magnitude(numeric_column(columns[10]), "Value_IN(ETH)")
    outgoing = magnitude(numeric_column(columns[11]), "Value_OUT(ETH)")
    internal = InternalTransfer(
        tx_hash=columns[0],
        timestamp=parse_utc_datetime(columns[3], "DateTime (UTC)"),
        parent_sender=format_address(columns[4]),
        sender=format_address(columns[7]),
        recipient=format_address(columns[8]),
        incoming=incoming,
        outgoing=outgoing,
    )
    origin = RecordOrigin(file_import_id=file_import_id)
    return internal_records(internal, index, origin, platform_id)


def internal_records(
    internal: InternalTransfer,
    index: int,
    origin: RecordOrigin,
    platform_id: str,
    asset_id: str = ETHEREUM_NATIVE_ASSET_ID,
) -> RowResult:
    """The logs and transaction of one internal transfer (file-formats §3.2).

    File imports always book the Ethereum native coin (``asset_id``'s default, a quirk kept).
    """
    incoming, outgoing = internal.incoming, internal.outgoing
    tx_id = f"{origin.id}_{internal.tx_hash}_INTERNAL_{index}"
    wallet = internal.parent_sender if incoming == "0" else internal.recipient
    operation = value_operation(incoming, outgoing)
    transaction = origin.transaction(
        id=tx_id,
        incomingAsset=asset_id,
        incoming=incoming,
        importIndex=index,
        platformId=platform_id,
        timestamp=internal.timestamp,
        type="Unknown" if operation == "Smart Contract" else operation,
        wallet=wallet,
        metadata={"txHash": internal.tx_hash},
    )
    if operation == "Smart Contract":
        return RowResult([], [transaction])

    def log(suffix: str, asset: str, change: str, kind: str, import_index: float) -> AuditLog:
        return origin.log(
            id=f"{tx_id}_{suffix}",
            assetId=asset,
            change=change,
            importIndex=import_index,
            operation=kind,
            platformId=platform_id,
            timestamp=internal.timestamp,
            txId=tx_id,
            wallet=wallet,
        )

    value_change = incoming if operation == "Deposit" else spent(outgoing)
    logs = [log(f"VALUE_{index}", asset_id, value_change, operation, index)]
    if internal.sender == WETH_CONTRACT:
        logs.append(log(f"WETH_{index}", WETH_ASSET_ID, spent(incoming), "Withdraw", index + 0.1))
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
