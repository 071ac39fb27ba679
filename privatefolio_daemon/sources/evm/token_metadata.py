"""ERC-20 symbol and decimals read from the chain, cached per (chain id, contract).

A token whose ``symbol()`` fails gets ``""`` (Etherscan shows the same), one whose ``decimals()``
fails gets 0, so amounts stay in raw units rather than being guessed. ``symbol()`` may return a
``bytes32`` (old tokens such as MKR); it is decoded and stripped of padding.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from privatefolio_daemon.sources.evm.contract_calls import DECIMALS, SYMBOL, CallFailed, call
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    symbol: str
    decimals: int


class TokenMetadataCache:
    def __init__(self) -> None:
        self._known: dict[tuple[int, str], TokenInfo] = {}

    def remember(self, chain_id: int, contract: str, info: TokenInfo) -> None:
        self._known[(chain_id, contract.lower())] = info

    def known(self, chain_id: int, contract: str) -> TokenInfo | None:
        return self._known.get((chain_id, contract.lower()))

    async def lookup(
        self, pool: RpcPool, contracts: Iterable[str], block: int
    ) -> dict[str, TokenInfo]:
        """``{contract: TokenInfo}`` for each contract, reading unknown ones from the chain."""
        wanted = list(dict.fromkeys(contracts))
        missing = [c for c in wanted if self.known(pool.chain_id, c) is None]
        read = await asyncio.gather(*(_read_token(pool, c, block) for c in missing))
        for contract, info in zip(missing, read, strict=True):
            self.remember(pool.chain_id, contract, info)
        found = {c: self.known(pool.chain_id, c) for c in wanted}
        return {c: info for c, info in found.items() if info is not None}


async def _read_token(pool: RpcPool, contract: str, block: int) -> TokenInfo:
    symbol_output, decimals_output = await asyncio.gather(
        _try_call(pool, contract, SYMBOL, block), _try_call(pool, contract, DECIMALS, block)
    )
    return TokenInfo(decode_symbol(symbol_output), decode_decimals(decimals_output))


async def _try_call(pool: RpcPool, contract: str, data: bytes, block: int) -> bytes:
    try:
        return await call(pool, contract, data, block)
    except CallFailed:
        return b""


def decode_symbol(output: bytes) -> str:
    from eth_abi.abi import decode
    from eth_abi.exceptions import DecodingError

    if len(output) == 32:
        return output.rstrip(b"\0").decode("utf-8", "replace")
    try:
        (symbol,) = decode(["string"], output)
    except (DecodingError, ValueError, OverflowError):
        return ""
    return str(symbol).strip()


def decode_decimals(output: bytes) -> int:
    if len(output) < 32:
        return 0
    value = int.from_bytes(output[:32], "big")
    return value if value <= 255 else 0
