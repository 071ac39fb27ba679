"""What an asset id says about the asset (data-model §3.1): ticker, platform, contract, type.

Ids look like ``ex.binance:ETH``, ``chain.ethereum:0x…:LOOM``, ``stock:AAPL``, ``fiat:EUR`` or
``gov.us-sec:320193:AAPL``.
"""

from typing import Literal

from privatefolio_daemon.sources.importers.evm import checksum_address, is_address

AssetType = Literal["crypto", "stock", "fund", "metal", "fiat"]
ASSET_TYPES: tuple[AssetType, ...] = ("crypto", "stock", "fund", "metal", "fiat")
NATIVE_CONTRACT = "0x0000000000000000000000000000000000000000"

_TYPE_BY_PLATFORM: dict[str, AssetType] = {
    "stock": "stock",
    "gov.us-sec": "stock",
    "fund": "fund",
    "metal": "metal",
    "fiat": "fiat",
}


def ticker(asset_id: str) -> str:
    """The 2nd part when there are 2 parts, otherwise the 3rd, upper-cased."""
    parts = asset_id.split(":")
    if len(parts) == 1:
        return asset_id.upper()
    return (parts[1] if len(parts) == 2 else parts[2]).upper()


def platform(asset_id: str) -> str:
    return asset_id.split(":", 1)[0]


def contract(asset_id: str) -> str | None:
    """The contract address of an on-chain asset (3 parts, the 2nd starting with ``0x``)."""
    parts = asset_id.split(":")
    if len(parts) >= 3 and parts[1].lower().startswith("0x"):
        return parts[1]
    return None


def asset_type(asset_id: str) -> AssetType:
    return _TYPE_BY_PLATFORM.get(platform(asset_id), "crypto")


def is_chain_asset(asset_id: str) -> bool:
    return asset_id.startswith("chain.") and contract(asset_id) is not None


def is_asset_id(text: str) -> bool:
    """``<platform>:<symbol>`` or ``<platform>:<contract>:<symbol>``, with a platform and a
    symbol (``AAPL``, ``:BTC`` and ``crypto:`` are not)."""
    parts = text.split(":")
    return len(parts) >= 2 and bool(parts[0].strip()) and bool(ticker(text).strip())


#: Platforms whose tickers are upper case (``stock:aapl`` is ``stock:AAPL``); an exchange's or a
#: chain's symbols keep their case (``stETH``).
_UPPER_CASE_TICKERS = frozenset({"fiat", "stock", "fund", "metal"})


def cleaned(text: str) -> str:
    """An id as a user may type it, without spaces around its parts (``ex.binance: BTC`` is
    ``ex.binance:BTC``), its platform in lower case (platform ids are), and a fiat code or a
    stock, fund or metal ticker in upper case (``fiat:usd`` is ``fiat:USD``), and a contract
    address written in one case checksummed."""
    parts = [part.strip() for part in text.split(":")]
    if len(parts) == 1:  # not an id: left as typed, for the message that says so
        return parts[0]
    parts[0] = parts[0].lower()
    if parts[0] in _UPPER_CASE_TICKERS and len(parts) == 2:
        parts[1] = parts[1].upper()
    if parts[0].startswith("chain.") and len(parts) == 3 and _unchecked_address(parts[1]):
        parts[1] = checksum_address(parts[1])
    return ":".join(parts)


def contract_problem(asset_id: str) -> str | None:
    """Why the contract of a chain asset's id cannot be one, if it cannot: ids of on-chain
    assets carry the checksummed address (data-model §3.1), so a typo must not make a second
    asset."""
    parts = asset_id.split(":")
    if not (parts[0].startswith("chain.") and len(parts) == 3 and parts[1][:2] in ("0x", "0X")):
        return None
    if not is_address(parts[1]):
        return f'"{parts[1]}" is not a contract address (0x and 40 hexadecimal digits)'
    if checksum_address(parts[1]) != parts[1]:
        return (
            f'the contract address "{parts[1]}" has a wrong checksum (its mixed case); '
            "it is probably mistyped"
        )
    return None


def _unchecked_address(text: str) -> bool:
    """An address written in one case, which carries no checksum to check."""
    digits = text[2:]
    return is_address(text) and (digits == digits.lower() or digits == digits.upper())
