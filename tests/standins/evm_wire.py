"""The Ethereum JSON-RPC wire format, as geth writes it, for the EVM stand-in.

eth-tester hands out Python values (ints, checksummed addresses, snake_case keys); a node on the
wire answers with camelCase keys, hex quantities without leading zeros, lowercase addresses and
per-block log indexes. These functions do that conversion once, when a block is mined.
"""

from collections.abc import Callable, Sequence
from typing import Any

import rlp  # type: ignore[import-untyped]
from eth._utils.address import generate_contract_address


class RpcError(Exception):
    """A JSON-RPC error object: ``{"code": …, "message": …, "data": …}``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def error_answer(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.wire()}


def block_tag(tag: Any) -> int | None:
    """A block parameter as a number; ``None`` for latest/pending/safe/finalized (the head)."""
    if tag in ("latest", "pending", "safe", "finalized"):
        return None
    if tag == "earliest":
        return 0
    if isinstance(tag, str) and tag.startswith("0x"):
        return int(tag, 16)
    raise RpcError(-32602, f"invalid argument 0: hex string without 0x prefix: {tag!r}")


def log_matcher(address: Any, topics: Sequence[Any]) -> Callable[[dict[str, Any]], bool]:
    """The ``eth_getLogs`` filter: one address or a list; per position a topic, a list or null."""
    addresses = {a.lower() for a in ([address] if isinstance(address, str) else address or [])}
    wanted = [
        None if t is None else {x.lower() for x in ([t] if isinstance(t, str) else t)}
        for t in topics
    ]

    def matches(log: dict[str, Any]) -> bool:
        if addresses and log["address"] not in addresses:
            return False
        if len(wanted) > len(log["topics"]):
            return False
        return all(w is None or t in w for w, t in zip(wanted, log["topics"], strict=False))

    return matches


def wire_block(block: Any, receipts: Sequence[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A mined py-evm block, with full transactions, and its receipts, in wire format.

    The block keeps a private ``_timestamp`` (int) for the node, which strips it before answering.
    """
    header = block.header
    base_fee = header.base_fee_per_gas
    txs = [_transaction(tx, block, index) for index, tx in enumerate(block.transactions)]
    wired_receipts: list[dict[str, Any]] = []
    log_index, previous_cumulative = 0, 0
    for tx, wired_tx, receipt in zip(block.transactions, txs, receipts, strict=True):
        logs = []
        for log in receipt.logs:
            logs.append(_log(log, wired_tx, log_index))
            log_index += 1
        wired = _receipt(tx, wired_tx, receipt, receipt.gas_used - previous_cumulative, base_fee)
        wired["logs"] = logs
        wired_receipts.append(wired)
        previous_cumulative = receipt.gas_used
    wired_block = {
        "baseFeePerGas": hex(base_fee),
        "blobGasUsed": hex(header.blob_gas_used),
        "difficulty": hex(header.difficulty),
        "excessBlobGas": hex(header.excess_blob_gas),
        "extraData": _data(header.extra_data),
        "gasLimit": hex(header.gas_limit),
        "gasUsed": hex(header.gas_used),
        "hash": _data(header.hash),
        "logsBloom": _bloom_hex(header.bloom),
        "miner": _data(header.coinbase),
        "mixHash": _data(header.mix_hash),
        "nonce": _data(header.nonce),
        "number": hex(header.block_number),
        "parentBeaconBlockRoot": _data(header.parent_beacon_block_root),
        "parentHash": _data(header.parent_hash),
        "receiptsRoot": _data(header.receipt_root),
        "requestsHash": _data(header.requests_hash),
        "sha3Uncles": _data(header.uncles_hash),
        "size": hex(len(rlp.encode(block))),
        "stateRoot": _data(header.state_root),
        "timestamp": hex(header.timestamp),
        "transactions": txs,
        "transactionsRoot": _data(header.transaction_root),
        "uncles": [],
        "withdrawals": [],
        "withdrawalsRoot": _data(header.withdrawals_root),
        "_timestamp": header.timestamp,
    }
    return wired_block, wired_receipts


def _transaction(tx: Any, block: Any, index: int) -> dict[str, Any]:
    base_fee = block.header.base_fee_per_gas
    typed = tx.type_id is not None
    wired: dict[str, Any] = {
        "blockHash": _data(block.header.hash),
        "blockNumber": hex(block.header.block_number),
        "from": _data(tx.sender),
        "gas": hex(tx.gas),
        "gasPrice": hex(_effective_gas_price(tx, base_fee)),
        "hash": _data(tx.hash),
        "input": _data(tx.data),
        "nonce": hex(tx.nonce),
        "to": _data(tx.to) if tx.to else None,
        "transactionIndex": hex(index),
        "value": hex(tx.value),
        "type": hex(tx.type_id or 0),
        "v": hex(tx.y_parity if typed else tx.v),
        "r": hex(tx.r),
        "s": hex(tx.s),
    }
    if typed:
        if tx.type_id >= 2:
            wired["maxFeePerGas"] = hex(tx.max_fee_per_gas)
            wired["maxPriorityFeePerGas"] = hex(tx.max_priority_fee_per_gas)
        wired["accessList"] = [
            {"address": _data(address), "storageKeys": [f"0x{key:064x}" for key in keys]}
            for address, keys in tx.access_list
        ]
        wired["chainId"] = hex(tx.chain_id)
        wired["yParity"] = hex(tx.y_parity)
    return wired


def _effective_gas_price(tx: Any, base_fee: int) -> int:
    if tx.type_id is not None and tx.type_id >= 2:
        return int(min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas))
    return int(tx.gas_price)


def _receipt(
    tx: Any, wired_tx: dict[str, Any], receipt: Any, gas_used: int, base_fee: int
) -> dict[str, Any]:
    created = generate_contract_address(tx.sender, tx.nonce) if not tx.to else None
    return {
        "blockHash": wired_tx["blockHash"],
        "blockNumber": wired_tx["blockNumber"],
        "contractAddress": _data(created) if created else None,
        "cumulativeGasUsed": hex(receipt.gas_used),
        "effectiveGasPrice": hex(_effective_gas_price(tx, base_fee)),
        "from": wired_tx["from"],
        "gasUsed": hex(gas_used),
        "logs": [],
        "logsBloom": _bloom_hex(receipt.bloom),
        "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
        "to": wired_tx["to"],
        "transactionHash": wired_tx["hash"],
        "transactionIndex": wired_tx["transactionIndex"],
        "type": wired_tx["type"],
    }


def _log(log: Any, wired_tx: dict[str, Any], log_index: int) -> dict[str, Any]:
    return {
        "address": _data(log.address),
        "topics": [f"0x{topic:064x}" for topic in log.topics],
        "data": _data(log.data),
        "blockNumber": wired_tx["blockNumber"],
        "transactionHash": wired_tx["hash"],
        "transactionIndex": wired_tx["transactionIndex"],
        "blockHash": wired_tx["blockHash"],
        "logIndex": hex(log_index),
        "removed": False,
    }


def _data(raw: bytes) -> str:
    return "0x" + bytes(raw).hex()


def _bloom_hex(bloom: int) -> str:
    return "0x" + bloom.to_bytes(256, "big").hex()
