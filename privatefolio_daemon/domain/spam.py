"""Spam detection for EVM transactions (data-model §11), as a pure function."""

from collections.abc import Callable, Iterable

from privatefolio_daemon.domain.auto_merge import is_evm_platform
from privatefolio_daemon.domain.records import Transaction

SPAM_TAG = "spam"


def is_spam(tx: Transaction, is_listed: Callable[[str], bool]) -> bool:
    """No fee, not manual, and the asset it moves (incoming, else outgoing) is not listed."""
    if tx.fee or tx.id.startswith("MANUAL_"):
        return False
    asset_id = tx.incomingAsset or tx.outgoingAsset
    return asset_id is not None and not is_listed(asset_id)


def find_spam(
    transactions: Iterable[Transaction],
    is_listed: Callable[[str], bool],
    *,
    is_evm: Callable[[str], bool] = is_evm_platform,
) -> list[str]:
    """Ids of the EVM transactions to tag ``spam``, in input order."""
    return [tx.id for tx in transactions if is_evm(tx.platformId) and is_spam(tx, is_listed)]
