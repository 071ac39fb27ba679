"""Auto-merge of EVM transactions that share a tx hash (data-model §10), as a pure function.

A normal Etherscan row, its ERC-20 transfer and its internal transfer describe one on-chain
transaction; merging them turns, for example, "sent ETH" + "received LOOM" into one Swap.
"""

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, localcontext
from typing import Any

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.manual_transactions import NOTES_MAX_CHARS
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.domain.text_bounds import cut_to
from privatefolio_daemon.large_lists import empty_in_parts

#: Transactions sorted in one step of :func:`merge_order` (tens of milliseconds).
SORTED_AT_ONCE = 10_000
_DIVISION_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)
_OPERATION_REWRITES = {
    "Swap": {"Deposit": "Buy", "Withdraw": "Sell"},
    "Wrap": {"Deposit": "Mint", "Withdraw": "Wrap"},
}


def is_evm_platform(platform_id: str) -> bool:
    return platform_id.startswith("chain.")


@dataclass(frozen=True, slots=True)
class AuditLogUpdate:
    log_id: str
    tx_id: str
    operation: str


@dataclass(slots=True)
class AutoMergeResult:
    evm_transactions: int
    """How many EVM transactions were considered (for the progress message)."""
    merged: list[Transaction]
    log_updates: list[AuditLogUpdate]
    merged_into: dict[str, str]
    """The merged transaction's id of each member it replaces (its tags move there)."""
    members: dict[str, list[Transaction]]
    """The transactions each merged one stands for, by its id (itself among them when an earlier
    merge is merged again under the same id)."""

    @property
    def deleted_ids(self) -> list[str]:
        """The members to delete, in the order they were merged."""
        return list(self.merged_into)


def _has(value: str | None) -> bool:
    return value is not None and value != ""


def _order_key(tx: Transaction) -> tuple[int, str, int, float]:
    """``timestamp DESC``, then the trimmed id, then ``incomingN DESC`` with NULL incoming last."""
    if not _has(tx.incoming):
        return (-tx.timestamp, _trimmed_id(tx), 1, 0.0)
    return (-tx.timestamp, _trimmed_id(tx), 0, -float(tx.incoming or 0))


def _has_source(tx: Transaction) -> bool:
    return bool(tx.fileImportId or tx.connectionId)


def _trimmed_id(tx: Transaction) -> str:
    """``<txHash>_<KIND>``: the 2nd and 3rd ``_``-separated parts of the id."""
    return "_".join(tx.id.split("_")[1:3])


def _is_mergeable(group: list[Transaction]) -> bool:
    return (
        2 <= len(group) <= 3
        and sum(_has(tx.incoming) for tx in group) <= 1
        and sum(_has(tx.outgoing) for tx in group) <= 1
        and sum(_has(tx.fee) for tx in group) <= 1
    )


def merge_order(
    transactions: Iterable[Transaction], at_once: int = SORTED_AT_ONCE
) -> list[Transaction]:
    """The order auto-merge takes transactions in: the first of a group names the merged one.

    Sorted a part at a time, the parts then merged: one sort of a ledger is one step of the
    interpreter that holds the GIL throughout (1.1 s for 333k transactions), which stops the
    event loop though it runs on a thread."""
    keyed = [(_order_key(tx), index, tx) for index, tx in enumerate(transactions)]
    parts = [
        sorted(keyed[start : start + at_once], key=_first_two)
        for start in range(0, len(keyed), at_once)
    ]
    empty_in_parts(keyed)
    return [tx for _key, _index, tx in heapq.merge(*parts, key=_first_two)]


def _first_two(item: tuple[tuple[int, str, int, float], int, Transaction]) -> tuple[Any, int]:
    return item[0], item[1]  # the index keeps the order of equals and spares comparing records


def joined_notes(group: Iterable[Transaction]) -> str | None:
    """The notes of the transactions in their order, one per line, each once."""
    return "\n".join(dict.fromkeys(tx.notes for tx in group if tx.notes)) or None


def merged_notes(group: Iterable[Transaction]) -> str | None:
    """The notes a merge of the group gives: ``joined_notes`` cut to the length
    ``patchTransaction`` takes."""
    joined = joined_notes(group)
    return None if joined is None else cut_to(joined, NOTES_MAX_CHARS)


def _merge(group: list[Transaction], tx_hash: str) -> Transaction:
    first = group[0]
    merged = replace(
        first,
        id=f"{first.fileImportId or first.connectionId}_{tx_hash}_MERGED",
        metadata=dict(first.metadata),
        notes=merged_notes(group),
    )
    for tx in group:
        if _has(tx.incoming):
            merged.incoming, merged.incomingAsset = tx.incoming, tx.incomingAsset
        if _has(tx.outgoing):
            merged.outgoing, merged.outgoingAsset = tx.outgoing, tx.outgoingAsset
        if _has(tx.fee):
            merged.fee, merged.feeAsset = tx.fee, tx.feeAsset
    if merged.incomingAsset and merged.outgoingAsset:
        merged.type = "Swap"
        incoming = decimals.parse(merged.incoming or "0")
        if not incoming.is_zero():
            outgoing = decimals.parse(merged.outgoing or "0")
            with localcontext(_DIVISION_CONTEXT):  # the shared divide rounds in this context
                merged.price = decimals.to_string(decimals.divide(outgoing, incoming))
    return merged


def auto_merge(
    transactions: Iterable[Transaction],
    audit_logs: Iterable[AuditLog],
    *,
    is_evm: Callable[[str], bool] = is_evm_platform,
) -> AutoMergeResult:
    """The merged transactions to upsert, the member ids to delete and the log re-pointing.

    Only imported and synced transactions merge: one entered by hand (a ``MANUAL_`` id, with
    neither a file import nor a connection) stays as the user wrote it, whatever its txHash.
    The merged transaction takes the notes of its members (``merged_notes``)."""
    evm = merge_order(tx for tx in transactions if is_evm(tx.platformId) and _has_source(tx))
    groups: dict[str, list[Transaction]] = {}
    for tx in evm:
        tx_hash = tx.metadata.get("txHash")
        if isinstance(tx_hash, str) and tx_hash:
            groups.setdefault(tx_hash, []).append(tx)

    merged: list[Transaction] = []
    member_to_merged: dict[str, Transaction] = {}
    merged_into: dict[str, str] = {}
    members: dict[str, list[Transaction]] = {}
    for tx_hash, group in groups.items():
        if not _is_mergeable(group):
            continue
        result = _merge(group, tx_hash)
        merged.append(result)
        members[result.id] = group
        for member in group:
            member_to_merged[member.id] = result
            if member.id != result.id:
                merged_into[member.id] = result.id

    updates: list[AuditLogUpdate] = []
    for log in audit_logs:
        target = member_to_merged.get(log.txId or "")
        if target is None:
            continue
        rewrites = _OPERATION_REWRITES.get(target.type, {})
        updates.append(
            AuditLogUpdate(log.id, target.id, rewrites.get(log.operation, log.operation))
        )
    return AutoMergeResult(len(evm), merged, updates, merged_into, members)
