"""Re-import of our own transactions export (file-formats §2.6 and §4).

A row with none of incoming, outgoing or fee is a transaction without audit logs, as the export
writes one (a failed Etherscan transfer, a zero reward). §2.6 refuses it as `Invalid
transaction`, which made an export holding one impossible to re-import (§4 promises it is).
"""

from collections.abc import Callable

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

PLATFORM_ID = "app.privatefolio"
HEADER = (
    '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
    '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method","Blockchain Tx",'
    '"Notes"'
)


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    (
        time,
        platform_id,
        wallet,
        tx_type,
        incoming,
        incoming_asset,
        outgoing,
        outgoing_asset,
        fee,
        fee_asset,
        contract_address,
        method,
        tx_hash,
        notes,
    ) = split_generic(row, 14)
    timestamp = parse_utc_datetime(time, "Timestamp")
    incoming = _amount(incoming, "Incoming", incoming_asset, trimmed)
    outgoing = _amount(outgoing, "Outgoing", outgoing_asset, magnitude)
    fee = _amount(fee, "Fee", fee_asset, trimmed)  # either sign: see _paid
    tx_id = f"{file_import_id}_{fast_string_hash(f'{index}_{row}')}"

    def log(suffix: str, operation: str, asset: str, change: str) -> AuditLog:
        return AuditLog(
            id=f"{tx_id}_{suffix}",
            assetId=asset,
            change=change,
            fileImportId=file_import_id,
            importIndex=index + 0.1,
            operation=operation,
            platformId=platform_id,
            timestamp=timestamp,
            txId=tx_id,
            wallet=wallet,
        )

    logs: list[AuditLog] = []
    if incoming:
        logs.append(log("DEPOSIT", "Deposit", incoming_asset, incoming))
    if outgoing:
        logs.append(log("WITHDRAW", "Withdraw", outgoing_asset, spent(outgoing)))
    if fee:  # a fee is paid whichever sign the export wrote it with (Binance +, Etherscan −)
        logs.append(log("FEE", "Fee", fee_asset, _paid(fee)))
    transaction = Transaction(
        id=tx_id,
        incomingAsset=incoming_asset if incoming else None,
        incoming=incoming or None,
        feeAsset=fee_asset if fee else None,
        fee=fee or None,
        fileImportId=file_import_id,
        importIndex=index,
        outgoingAsset=outgoing_asset if outgoing else None,
        outgoing=outgoing or None,
        notes=notes or None,
        platformId=platform_id,
        timestamp=timestamp,
        type=tx_type,
        wallet=wallet,
        metadata={"contractAddress": contract_address, "method": method, "txHash": tx_hash},
    )
    return RowResult(logs, [transaction])


def _amount(text: str, column: str, asset: str, canonical: Callable[[str, str], str]) -> str:
    """An amount column's ``canonical`` text, or ``""`` when it is absent."""
    if not text:
        return text
    value = canonical(text, column)
    if not asset:
        raise ImportFormatError(
            f'Missing value in column "{column} Asset"', column=f"{column} Asset"
        )
    return value


def _paid(fee: str) -> str:
    """A fee's log change, negative whichever sign the export wrote the fee with (Binance's are
    positive, Etherscan's negative); file-formats §2.6 keeps it as written, which made a
    re-imported Binance fee add to the balance. ``fee`` is trimmed (no ``+``, no spaces)."""
    return spent(fee.removeprefix("-"))


PARSER = Parser(
    parser_id="privatefolio-transactions",
    extension_id="privatefolio-file-import",
    platform_id=PLATFORM_ID,
    headers=(HEADER,),
    parse_row=parse_row,
    row_ids_hashed=True,
)
