"""Blockpit transaction export (file-formats §2.4), semicolon separated."""

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.importers.amounts import (
    fixed,
    magnitude,
    parse_amount,
    price_text,
    spent,
)
from privatefolio_daemon.sources.importers.base import (
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_generic
from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.timestamps import parse_cet_dotted_datetime

META_PLATFORM_ID = "app.blockpit"
RECORD_PLATFORM_ID = "binance"
WALLET = "Binance"
_TYPE_REWRITES = (("Trade", "Swap"), ("Airdrop", "Reward"), ("Withdrawal", "Withdraw"))


def _side(asset: str, amount: str, side: str) -> tuple[str, str] | None:
    """The side's asset and plain amount; the outgoing amount and the fee must be unsigned, as
    the logs make them negative."""
    if not amount:
        return None
    if not asset.strip():
        raise ImportFormatError(f'Missing value in column "{side} Asset"', column=f"{side} Asset")
    column = f"{side} Amount"
    if side != "Incoming":
        amount = magnitude(amount, column)
    return f"{META_PLATFORM_ID}:{asset}", fixed(amount, column)


def parse_row(row: str, index: int, file_import_id: str, _context: ParserContext) -> RowResult:
    columns = split_generic(row, 15)
    timestamp = parse_cet_dotted_datetime(columns[1], "Timestamp")
    tx_type = columns[5]
    for old, new in _TYPE_REWRITES:
        tx_type = tx_type.replace(old, new, 1)
    outgoing = _side(columns[6], columns[7], "Outgoing")
    incoming = _side(columns[8], columns[9], "Incoming")
    fee = _side(columns[10], columns[11], "Fee")
    if incoming is None and outgoing is None and fee is None:
        raise ImportFormatError("Invalid transaction")
    tx_id = f"{file_import_id}_{fast_string_hash(f'{index}_{row}')}"

    def log(log_id: str, operation: str, asset: str, change: str) -> AuditLog:
        return AuditLog(
            id=log_id,
            assetId=asset,
            change=change,
            fileImportId=file_import_id,
            importIndex=index,
            operation=operation,
            platformId=RECORD_PLATFORM_ID,
            timestamp=timestamp,
            wallet=WALLET,
        )

    transaction = Transaction(
        id=tx_id,
        fileImportId=file_import_id,
        importIndex=index,
        platformId=RECORD_PLATFORM_ID,
        timestamp=timestamp,
        type=tx_type,
        wallet=WALLET,
    )
    _require_sides(tx_type, incoming, outgoing)
    logs: list[AuditLog] = []
    if tx_type == "Swap" and incoming and outgoing:
        logs.append(log(f"{tx_id}Buy", "Buy", *incoming))
        logs.append(log(f"{tx_id}Sell", "Sell", outgoing[0], spent(outgoing[1])))
        transaction.incomingAsset, transaction.incoming = incoming
        transaction.outgoingAsset, transaction.outgoing = outgoing
        transaction.price = price_text(decimals.parse(outgoing[1]), decimals.parse(incoming[1]))
    elif tx_type in ("Deposit", "Reward") and incoming:
        logs.append(log(tx_id, tx_type, *incoming))
        transaction.incomingAsset, transaction.incoming = incoming
    elif tx_type == "Withdraw" and outgoing:
        fee_amount = decimals.parse(fee[1]) if fee else decimals.parse("0")
        total = decimals.to_fixed(decimals.add(parse_amount(outgoing[1], "Outgoing"), fee_amount))
        logs.append(log(tx_id, "Withdraw", outgoing[0], spent(total)))
        transaction.outgoingAsset, transaction.outgoing = outgoing[0], total
        return RowResult(logs, [transaction])
    else:
        return RowResult()
    if fee and tx_type == "Swap":  # a deposit's or reward's fee is not kept (§2.4)
        logs.append(log(f"{tx_id}Fee", "Fee", fee[0], spent(fee[1])))
        transaction.feeAsset, transaction.fee = fee
    return RowResult(logs, [transaction])


#: The amounts each type is made of: a row without one is refused, as the original's parse of
#: the empty amount fails, rather than dropped with its fee.
_REQUIRED_SIDES = {
    "Swap": ("Outgoing", "Incoming"),
    "Deposit": ("Incoming",),
    "Reward": ("Incoming",),
    "Withdraw": ("Outgoing",),
}


def _require_sides(
    tx_type: str, incoming: tuple[str, str] | None, outgoing: tuple[str, str] | None
) -> None:
    present = {"Incoming": incoming, "Outgoing": outgoing}
    for side in _REQUIRED_SIDES.get(tx_type, ()):
        if present[side] is None:
            column = f"{side} Amount"
            raise ImportFormatError(
                f'Missing value in column "{column}": a {tx_type} needs it', column=column
            )


PARSER = Parser(
    parser_id="blockpit",
    extension_id="blockpit-file-import",
    platform_id=META_PLATFORM_ID,
    headers=(
        "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
        "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
        "Transaction ID;Note;Merge ID",
    ),
    parse_row=parse_row,
    row_ids_hashed=True,
)
