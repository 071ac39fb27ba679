"""ERC-20 ``Transfer`` logs from and to one address, through ``eth_getLogs`` over block ranges
that adapt to the node's limits.

A range the node refuses shrinks: to the size the error suggests when it gives one (Infura's
``data: {from, to}``, Alchemy's ``[0x…, 0x…]``, "exceeds limit of N"), otherwise to half. After
``grow_after`` successes in a row the range doubles again, up to ``max_range``. The learnt range
stays with the scanner, so the next sync starts from it.
"""

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.evm.rpc_pool import RpcPool, rpc_error_text
from privatefolio_daemon.sources.importers.evm import checksum_address

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
DEFAULT_RANGE = 10_000
MAX_RANGE = 1_000_000
BLOCKS_PER_BATCH = 100
_LIMIT_OF = re.compile(r"limit of (\d+)")
_SUGGESTED = re.compile(r"\[(0x[0-9a-fA-F]+),\s*(0x[0-9a-fA-F]+)\]")
_RANGE_WORDS = ("range", "too many", "more than", "limit", "exceed", "response size")


@dataclass(frozen=True, slots=True)
class RawTransfer:
    tx_hash: str
    block_number: int
    log_index: int
    contract: str
    sender: str
    recipient: str
    value: int


class _RangeRefused(Exception):
    def __init__(self, suggested: int | None) -> None:
        super().__init__(suggested)
        self.suggested = suggested


class TransferLogScanner:
    def __init__(
        self,
        pool: RpcPool,
        *,
        initial_range: int = DEFAULT_RANGE,
        max_range: int = MAX_RANGE,
        grow_after: int = 3,
    ) -> None:
        self.pool = pool
        self.range = max(1, initial_range)
        self._max_range = max_range
        self._grow_after = grow_after
        self._successes = 0

    async def scan(self, address: str, first: int, last: int) -> list[RawTransfer]:
        """Every transfer from or to ``address`` in blocks first..last, in chain order."""
        found: dict[tuple[str, int], RawTransfer] = {}
        start = first
        while start <= last:
            end = min(last, start + self.range - 1)
            try:
                batch = await self._range_logs(address, start, end)
            except _RangeRefused as refusal:
                self._shrink(end - start + 1, refusal.suggested)
                continue
            found.update({(t.tx_hash, t.log_index): t for t in batch})
            start = end + 1
            self._grow()
        return sorted(found.values(), key=lambda t: (t.block_number, t.log_index))

    def _shrink(self, tried: int, suggested: int | None) -> None:
        if tried == 1:
            raise SyncError("The RPC node refuses eth_getLogs even for a single block")
        self.range = max(1, min(tried - 1, suggested or tried // 2))
        self._successes = 0

    def _grow(self) -> None:
        self._successes += 1
        if self._successes >= self._grow_after:
            self.range = min(self._max_range, self.range * 2)
            self._successes = 0

    async def _range_logs(self, address: str, start: int, end: int) -> list[RawTransfer]:
        padded = "0x" + "0" * 24 + address[2:].lower()
        sent, received = await asyncio.gather(
            self._logs(start, end, [TRANSFER_TOPIC, padded]),
            self._logs(start, end, [TRANSFER_TOPIC, None, padded]),
        )
        return [transfer for transfer in (*sent, *received) if transfer is not None]

    async def _logs(self, start: int, end: int, topics: list[str | None]) -> list[Any]:
        from web3.exceptions import Web3RPCError

        async def run(web3: Any) -> list[Any]:
            try:
                query = {"fromBlock": start, "toBlock": end, "topics": topics}
                return list(await web3.eth.get_logs(query))
            except Web3RPCError as error:
                refusal = _range_refusal(error)
                if refusal is None:
                    raise SyncError(f"eth_getLogs failed: {rpc_error_text(error)}") from error
                raise refusal from error

        return [_transfer(log) for log in await self.pool.run(run)]


async def block_timestamps(pool: RpcPool, blocks: set[int]) -> dict[int, int]:
    """``{block number: timestamp in ms}``, read in JSON-RPC batches."""
    ordered = sorted(blocks)
    timestamps: dict[int, int] = {}
    for start in range(0, len(ordered), BLOCKS_PER_BATCH):
        chunk = ordered[start : start + BLOCKS_PER_BATCH]

        async def run(web3: Any, chunk: list[int] = chunk) -> list[Any]:
            async with web3.batch_requests() as batch:
                for number in chunk:
                    batch.add(web3.eth.get_block(number))
                return list(await batch.async_execute())

        for number, block in zip(chunk, await pool.run(run), strict=True):
            timestamps[number] = int(block["timestamp"]) * 1000
    return timestamps


def _range_refusal(error: Exception) -> _RangeRefused | None:
    """A ``_RangeRefused`` when the node refused the range (too wide, too many results)."""
    response = getattr(error, "rpc_response", None) or {}
    details = response.get("error") if isinstance(response, dict) else None
    details = details if isinstance(details, dict) else {}
    message = str(details.get("message") or error).lower()
    data = details.get("data")
    if isinstance(data, dict) and "from" in data and "to" in data:
        return _RangeRefused(max(1, int(str(data["to"]), 0) - int(str(data["from"]), 0) + 1))
    if match := _SUGGESTED.search(message):
        return _RangeRefused(max(1, int(match[2], 16) - int(match[1], 16) + 1))
    if match := _LIMIT_OF.search(message):
        return _RangeRefused(int(match[1]))
    if any(word in message for word in _RANGE_WORDS):
        return _RangeRefused(None)
    return None


def _transfer(log: Any) -> RawTransfer | None:
    topics = log["topics"]
    if len(topics) != 3:
        return None  # ERC-721 transfers carry the token id as a fourth topic
    data = bytes(log["data"])
    return RawTransfer(
        tx_hash="0x" + bytes(log["transactionHash"]).hex(),
        block_number=int(log["blockNumber"]),
        log_index=int(log["logIndex"]),
        contract=checksum_address(str(log["address"])),
        sender=checksum_address("0x" + bytes(topics[1])[-20:].hex()),
        recipient=checksum_address("0x" + bytes(topics[2])[-20:].hex()),
        value=int.from_bytes(data[:32], "big") if data else 0,
    )
