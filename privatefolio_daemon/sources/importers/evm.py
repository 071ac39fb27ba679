"""EVM helpers shared by the Etherscan importers: EIP-55 addresses, native coin ids, and the row of
a native amount received (a block reward, a beacon withdrawal)."""

import re
from dataclasses import dataclass
from functools import lru_cache

from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.sources.evm.chains import builtin_chain, unsupported_platform
from privatefolio_daemon.sources.importers.base import ImportFormatError, RowResult

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ETHEREUM_NATIVE_ASSET_ID = f"chain.ethereum:{ZERO_ADDRESS}:ETH"
WETH_CONTRACT = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
WETH_ASSET_ID = f"chain.ethereum:{WETH_CONTRACT}:WETH"

_HEX_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)


def is_address(text: str) -> bool:
    return _HEX_ADDRESS.fullmatch(text) is not None


@lru_cache(maxsize=65_536)
def checksum_address(address: str) -> str:
    """The EIP-55 form of a 20-byte hex address."""
    from eth_hash.auto import keccak  # imported on first use: the backend loads slowly

    lower = address[2:].lower()
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(lower, digest, strict=False)
    )


def checksum_matches(address: str) -> bool:
    """Whether a hex address's case is right: all lower or all upper case carries no checksum,
    mixed case must be the EIP-55 form (a mistyped character then shows)."""
    digits = address[2:]
    if digits == digits.lower() or digits == digits.upper():
        return True
    return checksum_address(address) == address


def format_address(text: str) -> str:
    """Checksummed when ``text`` is a valid address, otherwise unchanged."""
    return checksum_address(text) if is_address(text) else text


def native_asset_id(platform_id: str) -> str:
    """The asset id of a chain's native coin (zero-address contract), as its wallet connection
    writes it: the chain table knows each coin (``data/chains.json``, ``nativeSymbol``)."""
    chain = builtin_chain(platform_id)
    if chain is None:
        raise ImportFormatError(unsupported_platform(platform_id))
    return chain.native_asset_id


def numeric_column(text: str) -> str:
    """Etherscan numbers carry thousands separators; the rules compare the raw text to ``0``."""
    return text.replace(",", "")


@dataclass(frozen=True, slots=True)
class NativeIncome:
    """One row's native amount received by ``wallet``: one log and its transaction."""

    tx_id: str
    asset_id: str
    amount: str
    operation: str
    timestamp: int
    wallet: str


def native_income_row(
    income: NativeIncome,
    index: int,
    file_import_id: str,
    platform_id: str,
    *,
    zero_is_income: bool = True,
) -> RowResult:
    """The ``<txId>_VALUE_0`` log and the transaction; without ``zero_is_income``, an amount of
    ``0`` leaves the transaction's incoming side empty."""
    log = AuditLog(
        id=f"{income.tx_id}_VALUE_0",
        assetId=income.asset_id,
        change=income.amount,
        fileImportId=file_import_id,
        importIndex=index,
        operation=income.operation,
        platformId=platform_id,
        timestamp=income.timestamp,
        txId=income.tx_id,
        wallet=income.wallet,
    )
    incoming = zero_is_income or income.amount != "0"
    transaction = Transaction(
        id=income.tx_id,
        incomingAsset=income.asset_id if incoming else None,
        incoming=income.amount if incoming else None,
        fileImportId=file_import_id,
        importIndex=index,
        platformId=platform_id,
        timestamp=income.timestamp,
        type=income.operation,
        wallet=income.wallet,
    )
    return RowResult([log], [transaction])
