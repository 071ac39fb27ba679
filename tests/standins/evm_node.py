"""A local Ethereum JSON-RPC node over HTTP, backed by eth-tester's py-evm chain.

Tests point the real ``web3.AsyncWeb3(AsyncHTTPProvider(node.url))`` at it::

    with EvmNode.start(chain_id=1) as node:
        alice = node.new_account(wei=10**18)
        token = node.deploy_token("Test USD", "TUSD", 6)
        node.mint(token, alice, 5_000_000)

The EVM runs in the stand-in's own thread. Every helper method is thread-safe: one lock guards
the chain, its index of mined blocks and the fault settings. Blocks are mined one per
transaction unless sent inside ``with node.single_block():``. Block timestamps are deterministic:
genesis at ``genesis_timestamp`` and each block ``block_interval`` seconds after its parent,
unless ``set_next_block_timestamp`` says otherwise.

Protocol details that match hosted nodes: revert errors as geth returns them (code 3,
"execution reverted: <reason>", ABI-encoded data), ``eth_getLogs`` limits as Infura returns
them (see ``limit_logs``), and HTTP failures on demand (``fail_next_requests``).
"""

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web
from eth_abi.abi import decode, encode
from eth_typing import ChecksumAddress
from eth_utils.address import to_canonical_address
from eth_utils.address import to_checksum_address as checksum

from tests.standins.background_server import serve_in_thread
from tests.standins.evm_chain import (
    BLOCK_INTERVAL,
    GENESIS_TIMESTAMP,
    PRIORITY_FEE,
    EvmChain,
    call_data,
    load_artifact,
)
from tests.standins.evm_wire import RpcError, block_tag, error_answer, log_matcher

TOKEN_CALL_GAS = 120_000
DEPLOY_GAS = 3_000_000


@dataclass
class LogLimits:
    """Limits on ``eth_getLogs`` that mimic hosted providers; ``None`` means unlimited."""

    max_block_range: int | None = None
    max_results: int | None = None


@dataclass
class _Faults:
    remaining: int = 0
    status: int = 503
    retry_after: str | None = None
    log_limits: LogLimits = field(default_factory=LogLimits)


class EvmNode:
    """A py-evm chain with a JSON-RPC endpoint at ``url`` and a small helper API for tests."""

    def __init__(self, chain_id: int, genesis_timestamp: int, block_interval: int) -> None:
        self._chain = EvmChain(chain_id, genesis_timestamp, block_interval)
        self.chain_id = chain_id
        self.faucet: ChecksumAddress = self._chain.faucet
        """Holds 1,000,000 ETH at genesis; funds new accounts and deploys contracts."""
        self.url = ""
        self._lock = threading.RLock()
        self._faults = _Faults()
        self._requests: list[list[str]] = []
        self._handlers = self._methods()

    @classmethod
    @contextmanager
    def start(
        cls,
        chain_id: int = 1,
        *,
        genesis_timestamp: int = GENESIS_TIMESTAMP,
        block_interval: int = BLOCK_INTERVAL,
    ) -> Iterator["EvmNode"]:
        """Run a node on 127.0.0.1 for the duration of the ``with`` block."""
        node = cls(chain_id, genesis_timestamp, block_interval)
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/{tail:.*}", node._handle_http)
        with serve_in_thread(app) as base_url:
            node.url = base_url + "/"
            yield node

    # --- accounts and transactions -------------------------------------------------------------

    def new_account(self, wei: int = 10**20) -> ChecksumAddress:
        """A fresh account with a known key; funded by a transfer from ``faucet`` when wei > 0."""
        with self._lock:
            address = self._chain.new_key()
        if wei:
            self.send_eth(self.faucet, address, wei)
        return address

    def send_eth(self, sender: str, to: str, wei: int) -> str:
        """Send ``wei`` from a test account; returns the transaction hash."""
        with self._lock:
            gas = 21_000 if not self._chain.code(to) else 100_000
            return self._chain.send(sender, to, wei, b"", gas)

    def deploy_token(
        self,
        name: str = "Test Token",
        symbol: str = "TST",
        decimals: int = 18,
        *,
        deployer: str = "",
    ) -> ChecksumAddress:
        """Deploy ``TestToken``; its deployer (default ``faucet``) may mint. Returns the address."""
        args = encode(["string", "string", "uint8"], [name, symbol, decimals])
        return self._deploy(load_artifact("TestToken").bytecode + args, deployer or self.faucet)

    def deploy_multicall3(self) -> ChecksumAddress:
        """Deploy ``Multicall3`` from ``faucet``; returns its address."""
        return self._deploy(load_artifact("Multicall3").bytecode, self.faucet)

    def deploy_bytes32_symbol_token(
        self, symbol: str = "MKR", decimals: int = 18
    ) -> ChecksumAddress:
        """Deploy a token whose ``symbol()`` returns ``bytes32`` (as MKR's does) and that has no
        ``name()``. Every call other than ``symbol()``, ``decimals()`` and ``balanceOf`` mints
        ``amount`` to ``to``, read as ``mint(address to, uint256 amount)`` reads them (so ``mint``
        works); ``balanceOf`` answers the total minted, whoever asks."""
        return self._deploy(_bytes32_symbol_token(symbol, decimals), self.faucet)

    def mint(self, token: str, to: str, amount: int, *, minter: str = "") -> str:
        data = call_data("mint(address,uint256)", ["address", "uint256"], [to, amount])
        with self._lock:
            return self._chain.send(minter or self.faucet, token, 0, data, TOKEN_CALL_GAS)

    def transfer_token(self, token: str, sender: str, to: str, amount: int) -> str:
        """A token transfer; mined even when it reverts (status 0), as on a real chain."""
        data = call_data("transfer(address,uint256)", ["address", "uint256"], [to, amount])
        with self._lock:
            return self._chain.send(sender, token, 0, data, TOKEN_CALL_GAS)

    @contextmanager
    def single_block(self) -> Iterator[None]:
        """Transactions sent inside the block are mined together in one block on exit.

        A block holds at most its gas limit: 30,029,122 gas, about 800 token transfers.
        """
        with self._lock:
            self._chain.batching = True
            try:
                yield
            finally:
                self._chain.batching = False
                self._chain.mine()

    def mine_blocks(self, count: int = 1) -> int:
        """Mine empty blocks; returns the new head number."""
        with self._lock:
            for _ in range(count):
                self._chain.mine()
            return self._chain.head

    def set_next_block_timestamp(self, timestamp: int) -> None:
        """The next mined block gets this UNIX timestamp (seconds); later ones follow on."""
        with self._lock:
            if timestamp <= self._chain.blocks[-1]["_timestamp"]:
                raise ValueError(f"timestamp {timestamp} is not after the head block's")
            self._chain.next_timestamp = timestamp

    # --- reads -----------------------------------------------------------------------------------

    def block_number(self) -> int:
        with self._lock:
            return self._chain.head

    def balance(self, address: str, block: int | None = None) -> int:
        """Wei held after ``block`` (default: the head)."""
        with self._lock:
            return int(self._chain.state(block).get_balance(to_canonical_address(address)))

    def token_balance(self, token: str, holder: str, block: int | None = None) -> int:
        data = call_data("balanceOf(address)", ["address"], [holder])
        (amount,) = decode(["uint256"], self.call(token, data, block))
        return int(amount)

    def call(self, to: str, data: bytes, block: int | None = None) -> bytes:
        """``eth_call`` from the zero address; raises ``RpcError`` on a revert."""
        with self._lock:
            return bytes(self._chain.execute({"to": to, "data": "0x" + data.hex()}, block))

    def block(self, number: int) -> dict[str, Any]:
        """A mined block in wire format, with full transaction objects."""
        with self._lock:
            return _public(self._chain.blocks[number])

    def receipt(self, tx_hash: str) -> dict[str, Any]:
        """A transaction receipt in wire format (``KeyError`` when unknown)."""
        with self._lock:
            return copy.deepcopy(self._chain.receipts[tx_hash.lower()])

    # --- faults, limits and observation ----------------------------------------------------------

    def fail_next_requests(
        self, count: int, status: int = 503, *, retry_after: str | None = None
    ) -> None:
        """Answer the next ``count`` HTTP requests with ``status`` instead of serving them, with
        a ``Retry-After: <retry_after>`` header (by default ``1`` for a 429, none otherwise)."""
        with self._lock:
            self._faults.remaining, self._faults.status = count, status
            self._faults.retry_after = retry_after

    def limit_logs(
        self, max_block_range: int | None = None, max_results: int | None = None
    ) -> None:
        """Refuse ``eth_getLogs`` over more blocks or with more results, as Infura does.

        Too wide: ``{"code": -32602, "message": "range 5000 exceeds limit of 2000"}``.
        Too many: ``{"code": -32005, "message": "query returned more than 10000 results",
        "data": {"from": "0x…", "to": "0x…", "limit": 10000}}``, where from/to is a range that fits.
        """
        with self._lock:
            self._faults.log_limits = LogLimits(max_block_range, max_results)

    def requests(self) -> list[list[str]]:
        """The JSON-RPC methods served so far, one list per HTTP request (a batch has several)."""
        with self._lock:
            return [list(methods) for methods in self._requests]

    def _deploy(self, init_code: bytes, deployer: str) -> ChecksumAddress:
        with self._lock:
            if self._chain.batching:
                raise RuntimeError("deploy contracts outside single_block()")
            tx_hash = self._chain.send(deployer, "", 0, init_code, DEPLOY_GAS)
            receipt = self._chain.receipts[tx_hash]
            if receipt["status"] != "0x1":
                raise RuntimeError(f"deployment failed: {receipt}")
            return checksum(receipt["contractAddress"])

    # --- JSON-RPC over HTTP ----------------------------------------------------------------------

    async def _handle_http(self, request: web.Request) -> web.Response:
        with self._lock:
            if self._faults.remaining > 0:
                self._faults.remaining -= 1
                return _failure(self._faults.status, self._faults.retry_after)
        body = await request.read()
        try:
            payload = json.loads(body)
        except ValueError:
            return web.json_response(error_answer(None, RpcError(-32700, "parse error")))
        if isinstance(payload, list):
            if not payload:
                return web.json_response(error_answer(None, RpcError(-32600, "empty batch")))
            with self._lock:
                self._requests.append([_method_name(item) for item in payload])
                answers = [self._answer(item) for item in payload]
            return web.json_response([answer for answer in answers if answer is not None])
        with self._lock:
            self._requests.append([_method_name(payload)])
            answer = self._answer(payload)
        return web.json_response(answer)

    def _answer(self, request: Any) -> dict[str, Any] | None:
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return error_answer(None, RpcError(-32600, "invalid request"))
        request_id = request.get("id")
        method, params = request["method"], request.get("params") or []
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise RpcError(-32601, f"the method {method} does not exist/is not available")
            result = handler(*params)
        except RpcError as error:
            return error_answer(request_id, error)
        except (TypeError, ValueError, KeyError) as error:
            return error_answer(request_id, RpcError(-32602, f"invalid argument: {error}"))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def _methods(self) -> dict[str, Callable[..., Any]]:
        return {
            "web3_clientVersion": lambda: "privatefolio-evm-standin/py-evm",
            "net_version": lambda: str(self.chain_id),
            "eth_chainId": lambda: hex(self.chain_id),
            "eth_syncing": lambda: False,
            "eth_accounts": lambda: [],
            "eth_blockNumber": lambda: hex(self._chain.head),
            "eth_gasPrice": lambda: hex(self._chain.next_base_fee() + PRIORITY_FEE),
            "eth_maxPriorityFeePerGas": lambda: hex(PRIORITY_FEE),
            "eth_getBalance": lambda a, b="latest": hex(self.balance(a, block_tag(b))),
            "eth_getCode": lambda a, b="latest": "0x" + self._chain.code(a, block_tag(b)).hex(),
            "eth_getTransactionCount": self._rpc_nonce,
            "eth_call": lambda tx, b="latest", *_: (
                "0x" + self._chain.execute(tx, block_tag(b)).hex()
            ),
            "eth_estimateGas": lambda tx, b="latest": hex(
                self._chain.execute(tx, block_tag(b), True)
            ),
            "eth_getBlockByNumber": lambda b, full=False: self._rpc_block(block_tag(b), full),
            "eth_getBlockByHash": self._rpc_block_by_hash,
            "eth_getBlockReceipts": self._rpc_block_receipts,
            "eth_getTransactionByHash": self._rpc_transaction,
            "eth_getTransactionReceipt": lambda h: self._chain.receipts.get(h.lower()),
            "eth_getLogs": self._rpc_logs,
            "eth_sendRawTransaction": self._chain.send_raw,
        }

    def _rpc_nonce(self, address: str, tag: Any = "latest") -> str:
        return hex(self._chain.state(block_tag(tag)).get_nonce(to_canonical_address(address)))

    def _rpc_block(self, number: int | None, full: bool) -> dict[str, Any] | None:
        number = self._chain.head if number is None else number
        if number >= len(self._chain.blocks):
            return None
        block = _public(self._chain.blocks[number])
        if not full:
            block["transactions"] = [tx["hash"] for tx in block["transactions"]]
        return block

    def _rpc_block_by_hash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        for block in self._chain.blocks:
            if block["hash"] == block_hash.lower():
                return self._rpc_block(int(block["number"], 16), full)
        return None

    def _rpc_block_receipts(self, tag: Any) -> list[dict[str, Any]] | None:
        block = self._rpc_block(block_tag(tag), False)
        return None if block is None else [self._chain.receipts[h] for h in block["transactions"]]

    def _rpc_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        receipt = self._chain.receipts.get(tx_hash.lower())
        if receipt is None:
            return None
        block = self._chain.blocks[int(receipt["blockNumber"], 16)]
        return dict(block["transactions"][int(receipt["transactionIndex"], 16)])

    def _rpc_logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        head = self._chain.head
        if "blockHash" in query:
            block = self._rpc_block_by_hash(query["blockHash"])
            if block is None:
                raise RpcError(-32000, "unknown block")
            first = last = int(block["number"], 16)
        else:
            first = _or_head(block_tag(query.get("fromBlock", "latest")), head)
            last = min(_or_head(block_tag(query.get("toBlock", "latest")), head), head)
        if first > last:
            raise RpcError(-32000, "invalid block range params")
        limits = self._faults.log_limits
        if limits.max_block_range is not None and last - first + 1 > limits.max_block_range:
            message = f"range {last - first + 1} exceeds limit of {limits.max_block_range}"
            raise RpcError(-32602, message)
        matches = log_matcher(query.get("address"), query.get("topics") or [])
        found: list[dict[str, Any]] = []
        for number in range(first, last + 1):
            block_found = [log for log in self._chain.block_logs[number] if matches(log)]
            if (
                limits.max_results is not None
                and len(found) + len(block_found) > limits.max_results
            ):
                fits = {
                    "from": hex(first),
                    "to": hex(max(first, number - 1)),
                    "limit": limits.max_results,
                }
                message = f"query returned more than {limits.max_results} results"
                raise RpcError(-32005, message, fits)
            found.extend(block_found)
        return found


def _method_name(request: Any) -> str:
    return str(request.get("method")) if isinstance(request, dict) else "<invalid>"


def _or_head(number: int | None, head: int) -> int:
    return head if number is None else number


def _bytes32_symbol_token(symbol: str, decimals: int) -> bytes:
    """Init code of ``deploy_bytes32_symbol_token``'s contract, assembled by hand."""
    push32 = bytes([0x7F])
    symbol_word = symbol.encode().ljust(32, b"\0")
    transfer_topic = bytes.fromhex(
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    )
    dispatch_length = 36
    mint = (
        b"\x60\x24\x35"  # PUSH1 36 CALLDATALOAD: amount
        b"\x80\x60\x00\x54\x01\x60\x00\x55"  # DUP1, slot 0 += amount
        b"\x60\x00\x52"  # MSTORE amount at 0
        b"\x60\x04\x35\x60\x00"  # topics 2 (to) and 1 (from: zero)
        + push32
        + transfer_topic
        + b"\x60\x20\x60\x00\xa3\x00"  # LOG3(0, 32, Transfer, 0, to), STOP
    )
    word = b"\x60\x00\x52\x60\x20\x60\x00\xf3"  # MSTORE at 0, RETURN 32 bytes
    symbol_at = dispatch_length + len(mint)
    decimals_at = symbol_at + 1 + 33 + len(word)
    balance_at = decimals_at + 1 + 2 + len(word)
    dispatch = (
        b"\x60\x00\x35\x60\xe0\x1c"  # the selector
        + b"\x80\x63\x95\xd8\x9b\x41\x14\x60"
        + bytes([symbol_at])
        + b"\x57"
        + b"\x80\x63\x31\x3c\xe5\x67\x14\x60"
        + bytes([decimals_at])
        + b"\x57"
        + b"\x80\x63\x70\xa0\x82\x31\x14\x60"
        + bytes([balance_at])
        + b"\x57"
    )
    assert len(dispatch) == dispatch_length
    runtime = (
        dispatch
        + mint
        + b"\x5b"
        + push32
        + symbol_word
        + word
        + b"\x5b\x60"
        + bytes([decimals])
        + word
        + b"\x5b\x60\x00\x54"
        + word
    )
    # Copy the runtime code to memory and return it.
    return (
        bytes([0x60, len(runtime), 0x80, 0x60, 0x0B, 0x60, 0x00, 0x39, 0x60, 0x00, 0xF3]) + runtime
    )


def _failure(status: int, retry_after: str | None) -> web.Response:
    """What a hosted node's load balancer answers when it refuses a request."""
    if retry_after is None and status == 429:
        retry_after = "1"
    headers = None if retry_after is None else {"Retry-After": retry_after}
    return web.Response(status=status, text=HTTPStatus(status).phrase, headers=headers)


def _public(block: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in block.items() if not k.startswith("_")}
    public["transactions"] = [dict(tx) for tx in block["transactions"]]
    return public
