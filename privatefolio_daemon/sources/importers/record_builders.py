"""Records built from positional values, for the importers' per-row hot paths.

``AuditLog(...)`` and ``Transaction(...)`` take keyword arguments only, and matching a dozen
keywords costs about three times as much as setting the slots directly. These builders give
the very same records (a test compares them with the constructors, field by field).
"""

from privatefolio_daemon.domain.records import AuditLog, Transaction

_new = object.__new__


def new_audit_log(
    id: str,
    asset_id: str,
    change: str,
    file_import_id: str,
    import_index: float,
    operation: str,
    platform_id: str,
    timestamp: int,
    tx_id: str | None,
    wallet: str,
) -> AuditLog:
    log: AuditLog = _new(AuditLog)
    log.id = id
    log.assetId = asset_id
    log.balance = None
    log.balanceWallet = None
    log.change = change
    log.fileImportId = file_import_id
    log.connectionId = None
    log.importIndex = import_index
    log.operation = operation
    log.platformId = platform_id
    log.timestamp = timestamp
    log.txId = tx_id
    log.wallet = wallet
    return log


def new_transaction(
    id: str,
    incoming_asset: str | None,
    incoming: str | None,
    fee_asset: str | None,
    fee: str | None,
    file_import_id: str,
    import_index: float,
    outgoing_asset: str | None,
    outgoing: str | None,
    platform_id: str,
    price: str | None,
    timestamp: int,
    type: str,
    wallet: str,
) -> Transaction:
    """A transaction without notes, role or metadata, its fields in ``DB_COLUMNS`` order."""
    transaction: Transaction = _new(Transaction)
    transaction.id = id
    transaction.incomingAsset = incoming_asset
    transaction.incoming = incoming
    transaction.feeAsset = fee_asset
    transaction.fee = fee
    transaction.fileImportId = file_import_id
    transaction.connectionId = None
    transaction.importIndex = import_index
    transaction.outgoingAsset = outgoing_asset
    transaction.outgoing = outgoing
    transaction.notes = None
    transaction.platformId = platform_id
    transaction.price = price
    transaction.role = None
    transaction.timestamp = timestamp
    transaction.type = type
    transaction.wallet = wallet
    transaction.metadata = {}
    return transaction
