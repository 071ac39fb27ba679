"""Etherscan "ERC-20 token transfers" export (file-formats §3.3)."""

from dataclasses import dataclass

from privatefolio_daemon.sources.importers.amounts import magnitude, spent
from privatefolio_daemon.sources.importers.base import (
    PLATFORM_REQUIREMENT,
    USER_ADDRESS_REQUIREMENT,
    ImportFormatError,
    Parser,
    ParserContext,
    RowResult,
)
from privatefolio_daemon.sources.importers.csv_rows import split_generic
from privatefolio_daemon.sources.importers.etherscan_normal import RecordOrigin
from privatefolio_daemon.sources.importers.evm import (
    checksum_address,
    format_address,
    is_address,
    numeric_column,
)
from privatefolio_daemon.sources.importers.timestamps import parse_utc_datetime

_HEADER_TAIL = (
    '"Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue","USDValueDayOfTx",'
    '"ContractAddress","TokenName","TokenSymbol"'
)
# Lower-case on purpose: compared with the checksummed contract, so it never matches (quirk).
_SCAM_CONTRACTS = frozenset(
    {
        "0x2ff2b86c156583b1135c584fd940a1996fa4230b",
        "0x582a74afba6acfb4ae82c60d3ceb6d67c3b147c9",
        "0xcbd85fff5106a42d622be7f9e528db0bff07da8a",
        "0xa8906cff92fc06cc2092197fdd55ab3d30b72da7",
        "0xf8fc4f865d05d6b622aecc08f4d595c92f205c1b",
    }
)
_SPAM_SYMBOL_PARTS = ("http", ".com", ".org", ".net", ".io", "visit", "claim")


def is_spam_token(contract: str, symbol: str) -> bool:
    lowered = symbol.lower()
    return contract in _SCAM_CONTRACTS or any(part in lowered for part in _SPAM_SYMBOL_PARTS)


def _user_address(context: ParserContext) -> str:
    if not context.user_address:
        raise ImportFormatError("'userAddress' is required for this type of file import")
    if not is_address(context.user_address):
        raise ImportFormatError("'userAddress' is not valid.")
    return checksum_address(context.user_address)


@dataclass(frozen=True, slots=True)
class TokenTransfer:
    """One ERC-20 transfer; ``amount`` is decimal text in token units, ``contract`` checksummed."""

    tx_hash: str
    timestamp: int
    sender: str
    recipient: str
    amount: str
    contract: str
    symbol: str


def parse_row(row: str, index: int, file_import_id: str, context: ParserContext) -> RowResult:
    user_address = _user_address(context)
    platform_id = context.require_evm_platform()
    columns = split_generic(row, 11)
    amount = magnitude(numeric_column(columns[6]), "TokenValue")
    contract = format_address(columns[8])
    symbol = columns[10].strip()
    if amount == "0" or is_spam_token(contract, symbol):
        return RowResult()
    transfer = TokenTransfer(
        tx_hash=columns[0],
        timestamp=parse_utc_datetime(columns[3], "DateTime (UTC)"),
        sender=format_address(columns[4]),
        recipient=format_address(columns[5]),
        amount=amount,
        contract=contract,
        symbol=symbol,
    )
    if user_address not in (transfer.sender, transfer.recipient):
        raise ImportFormatError(
            f"The transfer is neither from nor to {user_address}, the userAddress given: "
            "was the file exported for another address?"
        )
    origin = RecordOrigin(file_import_id=file_import_id)
    return token_transfer_records(transfer, index, origin, platform_id, user_address)


def token_transfer_records(
    transfer: TokenTransfer,
    index: int,
    origin: RecordOrigin,
    platform_id: str,
    user_address: str,
) -> RowResult:
    """The log and transaction of one token transfer (file-formats §3.3); nothing for a zero
    amount or a spam token. ``user_address`` is checksummed."""
    if transfer.amount == "0" or is_spam_token(transfer.contract, transfer.symbol):
        return RowResult()
    tx_id = f"{origin.id}_{transfer.tx_hash}_ERC20_{index}"
    deposit = transfer.recipient == user_address
    wallet = transfer.recipient if deposit else transfer.sender
    asset_id = f"{platform_id}:{transfer.contract}:{transfer.symbol}"
    amount = transfer.amount
    log = origin.log(
        id=f"{tx_id}_TRANSFER_{index}",
        assetId=asset_id,
        change=amount if deposit else spent(amount),
        importIndex=index,
        operation="Deposit" if deposit else "Withdraw",
        platformId=platform_id,
        timestamp=transfer.timestamp,
        txId=tx_id,
        wallet=wallet,
    )
    transaction = origin.transaction(
        id=tx_id,
        incomingAsset=asset_id if deposit else None,
        incoming=amount if deposit else None,
        importIndex=index,
        outgoingAsset=None if deposit else asset_id,
        outgoing=None if deposit else amount,
        platformId=platform_id,
        timestamp=transfer.timestamp,
        type=log.operation,
        wallet=wallet,
        metadata={"contractAddress": transfer.contract, "txHash": transfer.tx_hash},
    )
    return RowResult([log], [transaction])


PARSER = Parser(
    parser_id="etherscan-erc20-txns",
    extension_id="etherscan-file-import",
    platform_id=None,
    platform_id_from_context=True,
    headers=(f'"Txhash",{_HEADER_TAIL}', f'"Transaction Hash",{_HEADER_TAIL}'),
    parse_row=parse_row,
    requirements=(PLATFORM_REQUIREMENT, USER_ADDRESS_REQUIREMENT),
)
