"""The EVM stand-in's chain: py-evm blocks mined on demand, indexed in wire format.

Not thread-safe by itself; ``EvmNode`` serialises every use behind one lock. Block timestamps are
deterministic: genesis at ``genesis_timestamp``, each block ``block_interval`` seconds after its
parent unless ``next_timestamp`` is set. Calls run as geth runs them: in the context and state
of the requested block, without fees.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth.exceptions import Revert, VMError
from eth.vm.spoof import SpoofTransaction
from eth_abi.abi import decode, encode
from eth_keys.datatypes import PrivateKey
from eth_tester import PyEVMBackend
from eth_typing import ChecksumAddress
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_canonical_address
from eth_utils.address import to_checksum_address as checksum
from eth_utils.crypto import keccak

from tests.standins.evm_wire import RpcError, wire_block

CONTRACTS_DIR = Path(__file__).parent / "contracts"
GENESIS_TIMESTAMP = 1_704_067_200  # 2024-01-01 00:00:00 UTC
BLOCK_INTERVAL = 12
PRIORITY_FEE = 10**9
MAX_FEE = 3 * 10**9
ERROR_SELECTOR = bytes.fromhex("08c379a0")


@dataclass(frozen=True)
class ContractArtifact:
    """A compiled contract committed next to its source in ``tests/standins/contracts``."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes


@cache
def load_artifact(name: str) -> ContractArtifact:
    """``TestToken`` or ``Multicall3``, from the JSON that ``compile_contracts.sh`` wrote."""
    raw = json.loads((CONTRACTS_DIR / f"{name}.json").read_text())
    return ContractArtifact(name, raw["abi"], bytes.fromhex(raw["bytecode"].removeprefix("0x")))


def call_data(signature: str, types: list[str], values: list[Any]) -> bytes:
    """ABI-encode a call, e.g. ``call_data("balanceOf(address)", ["address"], [holder])``."""
    return function_signature_to_4byte_selector(signature) + encode(types, values)


class EvmChain:
    """py-evm's chain (through eth-tester's backend), the keys of test accounts, and an index."""

    def __init__(self, chain_id: int, genesis_timestamp: int, block_interval: int) -> None:
        genesis = PyEVMBackend.generate_genesis_params(overrides={"timestamp": genesis_timestamp})
        self._backend = PyEVMBackend(genesis_parameters=genesis)
        type(self._backend.chain).chain_id = chain_id  # each tester chain has its own class
        self.chain_id = chain_id
        self.block_interval = block_interval
        self.next_timestamp: int | None = None
        self.batching = False  # while True, sent transactions wait for ``mine``
        self._pending: list[Any] = []
        self._pending_nonces: dict[bytes, int] = {}
        faucet_key = self._backend.account_keys[0]
        self.faucet: ChecksumAddress = checksum(faucet_key.public_key.to_canonical_address())
        self._keys: dict[bytes, Any] = {to_canonical_address(self.faucet): faucet_key}
        self.blocks: list[dict[str, Any]] = []  # wire format, full transactions, ``_timestamp``
        self.block_logs: list[list[dict[str, Any]]] = []
        self.receipts: dict[str, dict[str, Any]] = {}
        self._index_new_blocks()

    @property
    def head(self) -> int:
        return len(self.blocks) - 1

    def new_key(self) -> ChecksumAddress:
        """A deterministic new test account (the n-th one always has the same address)."""
        key = PrivateKey(keccak(text=f"privatefolio evm stand-in account {len(self._keys)}"))
        address = checksum(key.public_key.to_canonical_address())
        self._keys[to_canonical_address(address)] = key
        return address

    def send(self, sender: str, to: str, value: int, data: bytes, gas: int) -> str:
        """Sign an EIP-1559 transaction from a test account; mine it unless batching."""
        sender_bytes = to_canonical_address(sender)
        nonce = self._pending_nonces.get(sender_bytes)
        if nonce is None:
            nonce = int(self.state(None).get_nonce(sender_bytes))
        builder = self._backend.chain.get_vm().get_transaction_builder()
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=PRIORITY_FEE,
            max_fee_per_gas=MAX_FEE,
            gas=gas,
            to=to_canonical_address(to) if to else b"",
            value=value,
            data=data,
            access_list=(),
        )
        signed = unsigned.as_signed_transaction(self._keys[sender_bytes])
        self._pending.append(signed)
        self._pending_nonces[sender_bytes] = nonce + 1
        if not self.batching:
            self.mine()
        return "0x" + bytes(signed.hash).hex()

    def send_raw(self, raw: str) -> str:
        """``eth_sendRawTransaction``: decode, validate and mine a signed transaction."""
        if self.batching:
            raise RpcError(-32000, "the stand-in is building a block; retry")
        builder = self._backend.chain.get_vm().get_transaction_builder()
        try:
            signed = builder.decode(bytes.fromhex(raw.removeprefix("0x")))
            self._pending.append(signed)
            self.mine()
        except Exception as error:  # py-evm rejects with many exception types
            self._pending, self._pending_nonces = [], {}
            raise RpcError(-32000, str(error)) from error
        return "0x" + bytes(signed.hash).hex()

    def mine(self) -> None:
        """Mine the pending transactions (maybe none) into one block at the next timestamp."""
        chain = self._backend.chain
        timestamp = self.next_timestamp or self.blocks[-1]["_timestamp"] + self.block_interval
        transactions, self._pending, self._pending_nonces = self._pending, [], {}
        self.next_timestamp = None
        chain.set_header_timestamp(timestamp)
        chain.mine_all(transactions, mix_hash=keccak(timestamp.to_bytes(8, "big")), blob_gas_used=0)
        self._index_new_blocks()

    def state(self, block: int | None) -> Any:
        """The state after ``block`` (``None``: the head)."""
        return self._backend.chain.get_vm(self._header(block)).state

    def code(self, address: str, block: int | None = None) -> bytes:
        return bytes(self.state(block).get_code(to_canonical_address(address)))

    def execute(self, tx: dict[str, Any], block: int | None, estimate: bool = False) -> Any:
        """``eth_call`` (output bytes) or ``eth_estimateGas`` (int) of a wire-format call."""
        chain = self._backend.chain
        header = self._header(block)
        vm = chain.get_vm(header)
        free_header = header.copy(base_fee_per_gas=0)
        state = vm.build_state(chain.chaindb.db, free_header, vm.chain_context, vm.previous_hashes)
        sender = to_canonical_address(tx.get("from") or "0x" + "00" * 20)
        unsigned = vm.create_unsigned_transaction(
            nonce=state.get_nonce(sender),
            gas_price=0,
            gas=int(tx.get("gas", "0x0"), 16) or header.gas_limit,
            to=to_canonical_address(tx["to"]) if tx.get("to") else b"",
            value=int(tx.get("value", "0x0"), 16),
            data=bytes.fromhex(str(tx.get("data") or tx.get("input") or "0x")[2:]),
        )
        spoofed = SpoofTransaction(unsigned, from_=sender)
        snapshot = state.snapshot()
        try:
            if estimate:
                return chain.gas_estimator(state, spoofed)
            computation = state.apply_transaction(spoofed)
            computation.raise_if_error()
            return bytes(computation.output)
        except Revert as revert:
            raise _revert_error(bytes(revert.args[0]) if revert.args else b"") from revert
        except VMError as error:
            raise RpcError(-32000, str(error) or type(error).__name__) from error
        finally:
            state.revert(snapshot)

    def next_base_fee(self) -> int:
        return int(self._backend.chain.header.base_fee_per_gas)

    def _header(self, block: int | None) -> Any:
        chain = self._backend.chain
        if block is None:
            return chain.get_canonical_head()
        if block > self.head:
            raise RpcError(-32000, "header not found")
        return chain.get_canonical_block_header_by_number(block)

    def _index_new_blocks(self) -> None:
        chain = self._backend.chain
        for number in range(len(self.blocks), chain.get_canonical_head().block_number + 1):
            block = chain.get_canonical_block_by_number(number)
            wired, receipts = wire_block(block, block.get_receipts(chain.chaindb))
            self.blocks.append(wired)
            self.block_logs.append([log for receipt in receipts for log in receipt["logs"]])
            for receipt in receipts:
                self.receipts[receipt["transactionHash"]] = receipt


def _revert_error(data: bytes) -> RpcError:
    """The error geth returns for a reverted call: code 3, the reason, and the raw data."""
    if not data:
        return RpcError(-32000, "execution reverted")
    message = "execution reverted"
    if data[:4] == ERROR_SELECTOR:
        (reason,) = decode(["string"], data[4:])
        message = f"execution reverted: {reason}"
    return RpcError(3, message, "0x" + data.hex())
