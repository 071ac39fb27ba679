"""Etherscan "normal transactions" export (file-formats §3.1)."""

from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import magnitude, spent, trimmed
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


@dataclass(frozen=True, slots=True)
class RecordOrigin:
    """Where Etherscan-shaped records come from: a file import or a connection (never both).

    Its id prefixes every record id (data-model §3.4).
    """

    file_import_id: str | None = None
    connection_id: str | None = None

    @property
    def id(self) -> str:
        return self.file_import_id or self.connection_id or ""

    def log(self, **fields: Any) -> AuditLog:
        return AuditLog(fileImportId=self.file_import_id, connectionId=self.connection_id, **fields)

    def transaction(self, **fields: Any) -> Transaction:
        return Transaction(
            fileImportId=self.file_import_id, connectionId=self.connection_id, **fields
        )


@dataclass(frozen=True, slots=True)
class NormalTransaction:
    """One row of the normal-transactions list, amounts as decimal text (``"0"`` when none)."""

    tx_hash: str
    timestamp: int
    sender: str
    recipient: str
    contract_address: str
    incoming: str
    outgoing: str
    fee: str
    failed: bool
    method: str


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    platform_id = context.require_evm_platform()
    columns = split_generic(row, 16)
    incoming = trimmed(numeric_column(columns[7]), "Value_IN(ETH)")
    outgoing = magnitude(numeric_column(columns[8]), "Value_OUT(ETH)")
    fee_text = magnitude(numeric_column(columns[10]), "TxnFee(ETH)")
    normal = NormalTransaction(
        tx_hash=columns[0],
        timestamp=parse_utc_datetime(columns[3], "DateTime (UTC)"),
        sender=format_address(columns[4]),
        recipient=format_address(columns[5]),
        contract_address=columns[6],
        incoming=incoming,
        outgoing=outgoing,
        fee=fee_text,
        failed=columns[13] == "Error(0)",
        method=columns[15].strip(),
    )
    origin = RecordOrigin(file_import_id=file_import_id)
    return normal_records(normal, index, origin, platform_id, native_asset_id(platform_id))


def normal_records(
    normal: NormalTransaction, index: int, origin: RecordOrigin, platform_id: str, asset_id: str
) -> RowResult:
    """The audit logs and transaction of one normal transaction (file-formats §3.1)."""
    incoming, outgoing, failed = normal.incoming, normal.outgoing, normal.failed
    tx_id = f"{origin.id}_{normal.tx_hash}_NORMAL_{index}"
    wallet = normal.sender if incoming == "0" else normal.recipient
    operation = value_operation(incoming, outgoing)

    def log(suffix: str, asset: str, change: str, kind: str, import_index: float) -> AuditLog:
        return origin.log(
            id=f"{tx_id}_{suffix}",
            assetId=asset,
            change=change,
            importIndex=import_index,
            operation=kind,
            platformId=platform_id,
            timestamp=normal.timestamp,
            txId=tx_id,
            wallet=wallet,
        )

    logs: list[AuditLog] = []
    if operation == "Smart Contract":
        tx_type = "Approve" if normal.method == "Approve" else "Unknown"
    else:
        tx_type = operation
        if not failed:
            change = incoming if operation == "Deposit" else spent(outgoing)
            logs.append(log("VALUE_0", asset_id, change, operation, index))
            if operation == "Withdraw" and normal.recipient == WETH_CONTRACT:
                logs[-1].operation = "Wrap"
                logs.append(log(f"WETH_{index}", WETH_ASSET_ID, outgoing, "Mint", index + 0.1))
    fee = fee_asset = None
    if normal.fee != "0" and incoming == "0":
        fee, fee_asset = spent(normal.fee), asset_id
        logs.append(log("FEE_0", asset_id, fee, "Fee", index + 0.1))

    metadata: dict[str, Any] = {}
    if normal.contract_address:
        metadata["contractAddress"] = normal.contract_address
    if failed:
        metadata["failed"] = True
    metadata["method"] = normal.method
    metadata["txHash"] = normal.tx_hash
    has_incoming = not failed and incoming != "0"
    has_outgoing = not failed and outgoing != "0"
    transaction = origin.transaction(
        id=tx_id,
        incomingAsset=asset_id if has_incoming else None,
        incoming=incoming if has_incoming else None,
        feeAsset=fee_asset,
        fee=fee,
        importIndex=index,
        outgoingAsset=asset_id if has_outgoing else None,
        outgoing=outgoing if has_outgoing else None,
        platformId=platform_id,
        timestamp=normal.timestamp,
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
