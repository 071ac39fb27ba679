"""Current native and ERC-20 balances of one address, in one Multicall3 ``aggregate3`` call.

Too many calls for one request (the node answers an error such as "out of gas", or some calls
fail) halve the batch and retry each half; a single call that still fails leaves its asset out.
Where the Multicall3 contract has no code, plain ``eth_getBalance``/``balanceOf`` calls are used.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from privatefolio_daemon.sources.evm.chains import ZERO_ADDRESS
from privatefolio_daemon.sources.evm.contract_calls import (
    AGGREGATE3,
    BALANCE_OF,
    GET_ETH_BALANCE,
    CallFailed,
    address_argument,
    call,
    has_code,
    native_balance,
)
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool
from privatefolio_daemon.sources.evm.units import units_text

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class BalanceQuery:
    """One asset to read: ``contract`` is the zero address for the native coin."""

    asset_id: str
    contract: str
    decimals: int


@dataclass(frozen=True, slots=True)
class MulticallSettings:
    address: str
    batch_size: int = DEFAULT_BATCH_SIZE
    gas: int | None = None


async def read_balances(
    pool: RpcPool,
    holder: str,
    queries: Sequence[BalanceQuery],
    block: int,
    multicall: MulticallSettings,
) -> dict[str, str]:
    """``{assetId: decimal string}`` at ``block``; assets whose call failed are left out."""
    if await has_code(pool, multicall.address, block):
        calls = [_balance_call(holder, query, multicall.address) for query in queries]
        raw: list[int | None] = []
        size = max(1, multicall.batch_size)
        for start in range(0, len(calls), size):
            outputs = await _aggregate(pool, calls[start : start + size], block, multicall)
            raw += [_uint(output) for output in outputs]
    else:
        raw = list(await asyncio.gather(*(_plain_balance(pool, holder, q, block) for q in queries)))
    return {
        query.asset_id: units_text(amount, query.decimals)
        for query, amount in zip(queries, raw, strict=True)
        if amount is not None
    }


def _balance_call(holder: str, query: BalanceQuery, multicall3: str) -> tuple[str, bytes]:
    if query.contract == ZERO_ADDRESS:
        return multicall3, GET_ETH_BALANCE + address_argument(holder)
    return query.contract, BALANCE_OF + address_argument(holder)


async def _aggregate(
    pool: RpcPool, calls: list[tuple[str, bytes]], block: int, multicall: MulticallSettings
) -> list[bytes | None]:
    from eth_abi.abi import decode, encode
    from eth_abi.exceptions import DecodingError

    data = AGGREGATE3 + encode(
        ["(address,bool,bytes)[]"], [[(target, True, payload) for target, payload in calls]]
    )
    results: list[tuple[bool, bytes]] | None
    try:
        output = await call(pool, multicall.address, data, block, multicall.gas)
        (results,) = decode(["(bool,bytes)[]"], output)
    except (CallFailed, DecodingError):
        results = None
    if results is not None and all(success for success, _ in results):
        return [bytes(payload) for _, payload in results]
    if len(calls) == 1:
        return [bytes(results[0][1]) if results and results[0][0] else None]
    half = len(calls) // 2
    first = await _aggregate(pool, calls[:half], block, multicall)
    return first + await _aggregate(pool, calls[half:], block, multicall)


async def _plain_balance(pool: RpcPool, holder: str, query: BalanceQuery, block: int) -> int | None:
    if query.contract == ZERO_ADDRESS:
        return await native_balance(pool, holder, block)
    try:
        output = await call(pool, query.contract, BALANCE_OF + address_argument(holder), block)
    except CallFailed:
        return None
    return _uint(output)


def _uint(output: bytes | None) -> int | None:
    if output is None or len(output) < 32:
        return None
    return int.from_bytes(output[:32], "big")
