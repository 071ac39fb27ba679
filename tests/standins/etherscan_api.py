"""An Etherscan-v2-compatible account API over the EVM stand-in's chain.

``GET /v2/api?chainid=1&module=account&action=txlist|txlistinternal|tokentx|balance&address=…``
answers in Etherscan's JSON shapes (every field a string), built from the node's mined blocks and
receipts so it always agrees with the chain::

    with EvmNode.start() as node, EtherscanApi.start(node, api_key="KEY") as etherscan:
        etherscan.url  # "http://127.0.0.1:…/v2/api"

Internal transactions cannot be traced from py-evm, so tests register them with
``add_internal_transaction``; their block and time come from the chain.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import is_address

from tests.standins.background_server import serve_in_thread
from tests.standins.evm_chain import load_artifact
from tests.standins.evm_node import EvmNode
from tests.standins.evm_wire import RpcError

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
MAX_RESULT_WINDOW = 10_000
CHAINLIST = "please see https://api.etherscan.io/v2/chainlist for the list of supported chainids"

Record = dict[str, str]


class EtherscanRefusal(Exception):
    """An answer with status "0": ``{"status": "0", "message": …, "result": …}``."""

    def __init__(self, result: Any, message: str = "NOTOK") -> None:
        super().__init__(result)
        self.result, self.message = result, message


@dataclass(frozen=True)
class InternalTransaction:
    tx_hash: str
    sender: str
    to: str
    value: int
    trace_id: str = "0"
    call_type: str = "call"
    gas: int = 2300
    gas_used: int = 0
    is_error: bool = False
    contract_address: str = ""


class EtherscanApi:
    """The stand-in; see ``start``. Thread-safe like the node it reads."""

    def __init__(self, node: EvmNode, api_key: str, calls_per_second: int | None) -> None:
        self.node = node
        self.api_key = api_key
        self.url = ""
        self._calls_per_second = calls_per_second
        self._lock = threading.Lock()
        self._internal: list[InternalTransaction] = []
        self._forced_rate_limits = 0
        self._lag = 0
        self._recent_calls: list[float] = []
        self._requests: list[dict[str, str]] = []
        self._tokens: dict[str, tuple[str, str, str]] = {}
        self._function_names = _function_names()

    @classmethod
    @contextmanager
    def start(
        cls, node: EvmNode, *, api_key: str = "STANDINKEY", calls_per_second: int | None = None
    ) -> Iterator["EtherscanApi"]:
        """Serve on 127.0.0.1; more than ``calls_per_second`` calls in a second are refused."""
        api = cls(node, api_key, calls_per_second)
        app = web.Application()
        app.router.add_get("/v2/api", api._handle_http)
        with serve_in_thread(app) as base_url:
            api.url = base_url + "/v2/api"
            yield api

    def add_internal_transaction(self, internal: InternalTransaction) -> None:
        """Register an internal transaction of a mined transaction (``KeyError`` if unknown)."""
        self.node.receipt(internal.tx_hash)
        with self._lock:
            self._internal.append(internal)

    def rate_limit_next(self, count: int) -> None:
        """Answer the next ``count`` calls with Etherscan's rate-limit refusal."""
        with self._lock:
            self._forced_rate_limits = count

    def lag_behind(self, blocks: int) -> None:
        """Show only blocks up to the node's head minus ``blocks``, as an indexer that lags."""
        with self._lock:
            self._lag = blocks

    def requests(self) -> list[dict[str, str]]:
        """The query parameters of every call so far, in order."""
        with self._lock:
            return [dict(query) for query in self._requests]

    # --- HTTP ------------------------------------------------------------------------------------

    async def _handle_http(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            self._admit(query)
            result = self._answer(query)
        except EtherscanRefusal as refusal:
            body = {"status": "0", "message": refusal.message, "result": refusal.result}
            return web.json_response(body)
        return web.json_response({"status": "1", "message": "OK", "result": result})

    def _admit(self, query: dict[str, str]) -> None:
        with self._lock:
            self._requests.append(query)
            now = time.monotonic()
            self._recent_calls = [t for t in self._recent_calls if now - t < 1.0] + [now]
            limited = self._forced_rate_limits > 0 or (
                self._calls_per_second is not None
                and len(self._recent_calls) > self._calls_per_second
            )
            self._forced_rate_limits = max(0, self._forced_rate_limits - 1)
        if limited:
            raise EtherscanRefusal("Max rate limit reached")
        key = query.get("apikey", "")
        if not key:
            raise EtherscanRefusal("Missing/Invalid API Key")
        if key != self.api_key:
            raise EtherscanRefusal("Invalid API Key")
        if "chainid" not in query:
            raise EtherscanRefusal(f"Missing chainid parameter (required for v2 api), {CHAINLIST}")
        if query["chainid"] != str(self.node.chain_id):
            message = f"Missing or unsupported chainid parameter (required for v2 api), {CHAINLIST}"
            raise EtherscanRefusal(message)
        if query.get("module") not in ("account", "block"):
            raise EtherscanRefusal("Error! Missing Or invalid Module name")

    def _answer(self, query: dict[str, str]) -> Any:
        if query["module"] == "block":
            return self._block_by_time(query)
        actions: dict[str, Callable[[str, int, int], list[Record]]] = {
            "txlist": self._transactions,
            "txlistinternal": self._internal_transactions,
            "tokentx": self._token_transfers,
        }
        action = query.get("action", "")
        if action not in actions and action != "balance":
            raise EtherscanRefusal("Error! Missing Or invalid Action name")
        address = query.get("address", "").lower()
        if not is_address(address):
            raise EtherscanRefusal("Error! Invalid address format")
        if action == "balance":
            return str(self.node.balance(address))
        with self._lock:
            head = self.node.block_number() - self._lag
        first = _block_param(query.get("startblock"), 0)
        last = min(_block_param(query.get("endblock"), head), head)
        records = actions[action](address, first, last)
        if action == "tokentx" and query.get("contractaddress"):
            records = [
                r for r in records if r["contractAddress"] == query["contractaddress"].lower()
            ]
        if query.get("sort") == "desc":
            records.reverse()
        page = _page(records, query.get("page"), query.get("offset"))
        if not page:
            raise EtherscanRefusal([], "No transactions found")
        return page

    def _block_by_time(self, query: dict[str, str]) -> str:
        """``getblocknobytime`` with ``closest=before``, over the blocks the indexer shows."""
        if query.get("action") != "getblocknobytime" or query.get("closest") != "before":
            raise EtherscanRefusal("Error! Missing Or invalid Action name")
        try:
            timestamp = int(query.get("timestamp", ""))
        except ValueError:
            raise EtherscanRefusal("Error! Invalid timestamp") from None
        with self._lock:
            number = self.node.block_number() - self._lag
        while number > 0 and int(self.node.block(number)["timestamp"], 16) > timestamp:
            number -= 1
        return str(number)

    # --- records built from the chain ------------------------------------------------------------

    def _mined(self, first: int, last: int) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each (transaction, receipt) mined in blocks first..last, in chain order."""
        for number in range(first, last + 1):
            block = self.node.block(number)
            for tx in block["transactions"]:
                yield {**tx, "timestamp": block["timestamp"]}, self.node.receipt(tx["hash"])

    def _transactions(self, address: str, first: int, last: int) -> list[Record]:
        head = self.node.block_number()
        return [
            self._transaction_record(tx, receipt, head)
            for tx, receipt in self._mined(first, last)
            if address in (tx["from"], tx["to"], receipt["contractAddress"])
        ]

    def _transaction_record(self, tx: dict[str, Any], receipt: dict[str, Any], head: int) -> Record:
        number = int(tx["blockNumber"], 16)
        return {
            "blockNumber": str(number),
            "blockHash": tx["blockHash"],
            "timeStamp": str(int(tx["timestamp"], 16)),
            "hash": tx["hash"],
            "nonce": str(int(tx["nonce"], 16)),
            "transactionIndex": str(int(tx["transactionIndex"], 16)),
            "from": tx["from"],
            "to": tx["to"] or "",
            "value": str(int(tx["value"], 16)),
            "gas": str(int(tx["gas"], 16)),
            "gasPrice": str(int(receipt["effectiveGasPrice"], 16)),
            "input": tx["input"],
            "methodId": _method_id(tx["input"]),
            "functionName": self._function_names.get(tx["input"][:10], "") if tx["to"] else "",
            "contractAddress": receipt["contractAddress"] or "",
            "cumulativeGasUsed": str(int(receipt["cumulativeGasUsed"], 16)),
            "txreceipt_status": str(int(receipt["status"], 16)),
            "gasUsed": str(int(receipt["gasUsed"], 16)),
            "confirmations": str(head - number + 1),
            "isError": "0" if receipt["status"] == "0x1" else "1",
        }

    def _token_transfers(self, address: str, first: int, last: int) -> list[Record]:
        head = self.node.block_number()
        records = []
        for tx, receipt in self._mined(first, last):
            for log in receipt["logs"]:
                if len(log["topics"]) != 3 or log["topics"][0] != TRANSFER_TOPIC:
                    continue  # ERC-721 transfers carry the token id as a fourth topic
                sender, to = ("0x" + topic[26:] for topic in log["topics"][1:])
                if address in (sender, to):
                    records.append(self._token_record(tx, receipt, log, sender, to, head))
        return records

    def _token_record(
        self,
        tx: dict[str, Any],
        receipt: dict[str, Any],
        log: dict[str, Any],
        sender: str,
        to: str,
        head: int,
    ) -> Record:
        record = self._transaction_record(tx, receipt, head)
        name, symbol, decimals = self._token(log["address"])
        return {
            "blockNumber": record["blockNumber"],
            "timeStamp": record["timeStamp"],
            "hash": record["hash"],
            "nonce": record["nonce"],
            "blockHash": record["blockHash"],
            "from": sender,
            "contractAddress": log["address"],
            "to": to,
            "value": str(int(log["data"], 16)),
            "tokenName": name,
            "tokenSymbol": symbol,
            "tokenDecimal": decimals,
            "transactionIndex": record["transactionIndex"],
            "gas": record["gas"],
            "gasPrice": record["gasPrice"],
            "gasUsed": record["gasUsed"],
            "cumulativeGasUsed": record["cumulativeGasUsed"],
            "input": "deprecated",
            "methodId": record["methodId"],
            "functionName": record["functionName"],
            "confirmations": record["confirmations"],
        }

    def _internal_transactions(self, address: str, first: int, last: int) -> list[Record]:
        with self._lock:
            registered = list(self._internal)
        records = []
        for internal in registered:
            receipt = self.node.receipt(internal.tx_hash)
            number = int(receipt["blockNumber"], 16)
            wanted = address in (internal.sender.lower(), internal.to.lower())
            if wanted and first <= number <= last:
                timestamp = int(self.node.block(number)["timestamp"], 16)
                records.append((number, _internal_record(internal, number, timestamp)))
        records.sort(key=lambda pair: pair[0])
        return [record for _, record in records]

    def _token(self, contract: str) -> tuple[str, str, str]:
        """(tokenName, tokenSymbol, tokenDecimal) read from the contract, as Etherscan shows."""
        if contract not in self._tokens:
            self._tokens[contract] = (
                self._read(contract, "name()", "string"),
                self._read(contract, "symbol()", "string"),
                self._read(contract, "decimals()", "uint8"),
            )
        return self._tokens[contract]

    def _read(self, contract: str, signature: str, kind: str) -> str:
        """The decoded answer; a ``bytes32`` string (MKR's ``symbol()``) as its text, and ``""``
        when the call reverts or answers something else."""
        try:
            output = self.node.call(contract, function_signature_to_4byte_selector(signature))
        except RpcError:
            return ""
        if kind == "string" and len(output) == 32:
            return output.rstrip(b"\0").decode("utf-8", "replace")
        try:
            return str(decode([kind], output)[0])
        except (DecodingError, ValueError):
            return ""


def _internal_record(internal: InternalTransaction, number: int, timestamp: int) -> Record:
    return {
        "blockNumber": str(number),
        "timeStamp": str(timestamp),
        "hash": internal.tx_hash.lower(),
        "from": internal.sender.lower(),
        "to": internal.to.lower(),
        "value": str(internal.value),
        "contractAddress": internal.contract_address.lower(),
        "input": "",
        "type": internal.call_type,
        "gas": str(internal.gas),
        "gasUsed": str(internal.gas_used),
        "traceId": internal.trace_id,
        "isError": "1" if internal.is_error else "0",
        "errCode": "",
    }


def _block_param(raw: str | None, default: int) -> int:
    if raw is None or raw in ("", "latest"):
        return default
    if not raw.isdigit():
        raise EtherscanRefusal("Error! Invalid block number")
    return int(raw)


def _page(records: list[Record], page: str | None, offset: str | None) -> list[Record]:
    """Etherscan's pagination: page numbers from 1, at most 10,000 records reachable."""
    if not page and not offset:
        return records[:MAX_RESULT_WINDOW]
    page_number, size = int(page or "1"), int(offset or "10")
    if page_number * size > MAX_RESULT_WINDOW:
        message = (
            "Result window is too large, PageNo x Offset size must be less than or equal to 10000"
        )
        raise EtherscanRefusal(message)
    return records[(page_number - 1) * size : page_number * size]


def _method_id(data: str) -> str:
    return data[:10] if len(data) >= 10 else "0x"


def _function_names() -> dict[str, str]:
    """Selector → Etherscan's functionName, e.g. ``transfer(address to, uint256 amount)``."""
    names = {}
    for artifact in (load_artifact("TestToken"), load_artifact("Multicall3")):
        for item in artifact.abi:
            if item["type"] != "function":
                continue
            types = ",".join(_abi_type(arg) for arg in item["inputs"])
            selector = "0x" + function_signature_to_4byte_selector(f"{item['name']}({types})").hex()
            shown = ", ".join(f"{_abi_type(arg)} {arg['name']}".strip() for arg in item["inputs"])
            names[selector] = f"{item['name']}({shown})"
    return names


def _abi_type(arg: dict[str, Any]) -> str:
    kind: str = arg["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in arg["components"]) + ")" + kind[5:]
    return kind
