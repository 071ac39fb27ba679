"""Raw ``eth_call``s through the RPC pool: the few selectors the wallet source needs, and one
error type for every way a call can fail on-chain (revert, out of gas, node refusal)."""

from typing import Any

from privatefolio_daemon.sources.evm.rpc_pool import RpcPool

BALANCE_OF = bytes.fromhex("70a08231")
SYMBOL = bytes.fromhex("95d89b41")
DECIMALS = bytes.fromhex("313ce567")
AGGREGATE3 = bytes.fromhex("82ad56cb")
GET_ETH_BALANCE = bytes.fromhex("4d2301cc")


class CallFailed(Exception):
    """The node answered the call with an error (revert, out of gas, too large…)."""


def address_argument(address: str) -> bytes:
    """An address as one ABI word."""
    return bytes(12) + bytes.fromhex(address.removeprefix("0x"))


async def call(pool: RpcPool, to: str, data: bytes, block: int, gas: int | None = None) -> bytes:
    from web3.exceptions import Web3Exception

    transaction: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
    if gas is not None:
        transaction["gas"] = gas

    async def run(web3: Any) -> bytes:
        try:
            return bytes(await web3.eth.call(transaction, block))
        except Web3Exception as error:
            raise CallFailed(str(error)) from error

    return await pool.run(run)


async def has_code(pool: RpcPool, address: str, block: int) -> bool:
    async def run(web3: Any) -> bool:
        return len(await web3.eth.get_code(address, block)) > 0

    return await pool.run(run)


async def native_balance(pool: RpcPool, address: str, block: int) -> int:
    async def run(web3: Any) -> int:
        return int(await web3.eth.get_balance(address, block))

    return await pool.run(run)
