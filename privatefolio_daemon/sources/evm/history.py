"""Explorer records and ``Transfer`` logs turned into the Etherscan importers' records.

The file importers' record builders are reused as they are; only the row values come from the API
instead of a CSV cell. The ``i`` of the ids (``<connectionId>_<txHash>_ERC20_<i>``…) is the row's
position **within its transaction** (0 for the only row), not within one sync's page, so the same
transfer gets the same id whatever block range a sync covered: re-syncing is idempotent.

Differences from the file import, on purpose:
- the fee is booked only when the wallet sent the transaction (a CSV row only knows "IN = 0");
- a transfer from the wallet to itself moves nothing: a native one books only its fee (a
  transaction without value, like a contract call), an ERC-20 or internal one books nothing
  (the file import books it as a deposit or a withdrawal, whichever its columns say);
- internal transfers use the chain's native coin (file imports always use Ethereum's ETH) and
  skip those the explorer marks as errors (their value never moved).
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from privatefolio_daemon.sources.evm.chains import Chain
from privatefolio_daemon.sources.evm.token_metadata import TokenInfo
from privatefolio_daemon.sources.evm.transfer_logs import RawTransfer
from privatefolio_daemon.sources.evm.units import NATIVE_DECIMALS, units_text
from privatefolio_daemon.sources.importers.base import RowResult
from privatefolio_daemon.sources.importers.etherscan_erc20 import (
    TokenTransfer,
    token_transfer_records,
)
from privatefolio_daemon.sources.importers.etherscan_internal import (
    InternalTransfer,
    internal_records,
)
from privatefolio_daemon.sources.importers.etherscan_normal import (
    NormalTransaction,
    RecordOrigin,
    normal_records,
)
from privatefolio_daemon.sources.importers.evm import format_address

Record = Mapping[str, str]
T = TypeVar("T")
_CAMEL_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def method_name(record: Record) -> str:
    """Etherscan's "Method" column: ``approve(…)`` → ``Approve``, plain sends → ``Transfer``."""
    name = (record.get("functionName") or "").split("(")[0].strip()
    if name:
        return " ".join(word[:1].upper() + word[1:] for word in _CAMEL_BREAK.split(name))
    data = record.get("input") or "0x"
    if data in ("0x", ""):
        return "Transfer"
    return record.get("methodId") or data[:10]


def normal_history(
    records: Iterable[Record], origin: RecordOrigin, chain: Chain, user: str
) -> RowResult:
    result = RowResult()
    for record in records:
        sender, recipient = format_address(record["from"]), format_address(record.get("to") or "")
        value = "0" if sender == recipient == user else units_text(record["value"], NATIVE_DECIMALS)
        paid = int(record.get("gasUsed") or 0) * int(record.get("gasPrice") or 0)
        normal = NormalTransaction(
            tx_hash=record["hash"],
            timestamp=int(record["timeStamp"]) * 1000,
            sender=sender,
            recipient=recipient,
            contract_address=record.get("contractAddress") or "",
            incoming="0" if sender == user else value,
            outgoing=value if sender == user else "0",
            fee=units_text(paid, NATIVE_DECIMALS) if sender == user else "0",
            failed=record.get("isError") == "1",
            method=method_name(record),
        )
        _extend(result, normal_records(normal, 0, origin, chain.platform_id, chain.native_asset_id))
    return result


def internal_history(
    records: Iterable[Record], origin: RecordOrigin, chain: Chain, user: str
) -> RowResult:
    result = RowResult()
    for record, index in _with_index_in_transaction(records, _record_hash):
        sender, recipient = format_address(record["from"]), format_address(record["to"])
        if record.get("isError") == "1" or sender == recipient == user:
            continue
        value = units_text(record["value"], NATIVE_DECIMALS)
        internal = InternalTransfer(
            tx_hash=record["hash"],
            timestamp=int(record["timeStamp"]) * 1000,
            parent_sender=user,
            sender=sender,
            recipient=recipient,
            incoming="0" if sender == user else value,
            outgoing=value if sender == user else "0",
        )
        built = internal_records(internal, index, origin, chain.platform_id, chain.native_asset_id)
        _extend(result, built)
    return result


def explorer_token_history(
    records: Iterable[Record], origin: RecordOrigin, chain: Chain, user: str
) -> RowResult:
    result = RowResult()
    for record, index in _with_index_in_transaction(records, _record_hash):
        if format_address(record["from"]) == format_address(record["to"]) == user:
            continue
        transfer = TokenTransfer(
            tx_hash=record["hash"],
            timestamp=int(record["timeStamp"]) * 1000,
            sender=format_address(record["from"]),
            recipient=format_address(record["to"]),
            amount=units_text(record["value"], int(record.get("tokenDecimal") or 0)),
            contract=format_address(record["contractAddress"]),
            symbol=(record.get("tokenSymbol") or "").strip(),
        )
        _extend(result, token_transfer_records(transfer, index, origin, chain.platform_id, user))
    return result


def explorer_token_infos(records: Iterable[Record]) -> dict[str, TokenInfo]:
    """The symbol and decimals the explorer reports, by checksummed contract."""
    return {
        format_address(r["contractAddress"]): TokenInfo(
            (r.get("tokenSymbol") or "").strip(), int(r.get("tokenDecimal") or 0)
        )
        for r in records
    }


def log_token_history(
    transfers: Iterable[RawTransfer],
    timestamps: Mapping[int, int],
    tokens: Mapping[str, TokenInfo],
    origin: RecordOrigin,
    chain: Chain,
    user: str,
) -> RowResult:
    result = RowResult()
    for transfer, index in _with_index_in_transaction(transfers, _transfer_hash):
        if transfer.sender == transfer.recipient == user:
            continue
        token = tokens.get(transfer.contract, TokenInfo("", 0))
        row = TokenTransfer(
            tx_hash=transfer.tx_hash,
            timestamp=timestamps[transfer.block_number],
            sender=transfer.sender,
            recipient=transfer.recipient,
            amount=units_text(transfer.value, token.decimals),
            contract=transfer.contract,
            symbol=token.symbol,
        )
        _extend(result, token_transfer_records(row, index, origin, chain.platform_id, user))
    return result


def _with_index_in_transaction(
    rows: Iterable[T], tx_hash_of: Callable[[T], str]
) -> list[tuple[T, int]]:
    """Each row with its position among the rows of the same transaction."""
    seen: defaultdict[str, int] = defaultdict(int)
    indexed = []
    for row in rows:
        tx_hash = tx_hash_of(row)
        indexed.append((row, seen[tx_hash]))
        seen[tx_hash] += 1
    return indexed


def _record_hash(record: Record) -> str:
    return record["hash"]


def _transfer_hash(transfer: RawTransfer) -> str:
    return transfer.tx_hash


def _extend(result: RowResult, part: RowResult) -> None:
    result.logs.extend(part.logs)
    result.transactions.extend(part.transactions)
