"""Transactions the user enters by hand (rpc-methods §5.3): ``MANUAL_<n>`` with up to three audit
logs ``<id>_BUY`` (+incoming), ``<id>_SELL`` (−outgoing) and ``<id>_FEE`` (−fee).

Any asset id works: ``ex.binance:BTC``, ``stock:AAPL``, ``metal:XAU``, ``fiat:EUR``…
"""

import sqlite3
from typing import Any, Literal, TypedDict, cast

import orjson

from privatefolio_daemon.domain import asset_ids, decimals
from privatefolio_daemon.domain.assets import ASSET_ID_MAX_CHARS
from privatefolio_daemon.domain.derived_steps import Progress, SqlCancel
from privatefolio_daemon.domain.errors import InvalidInputError, NotFoundError, shortened
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.ledger_rows import transaction_from_row
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.domain.text_bounds import bounded_size, bounded_text
from privatefolio_daemon.domain.timeutil import DAY_MS, LATEST_TIMESTAMP, now_ms, utc_text
from privatefolio_daemon.domain.transaction_patches import note_patched
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store import tags as tag_store
from privatefolio_daemon.store import trades as trade_store
from privatefolio_daemon.store.change_log import append_change
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.merged_members import forget_merge
from privatefolio_daemon.store.patched_fields import forget_patched
from privatefolio_daemon.store.seen_through import seen_through

SEQUENCE_KEY = "transaction_man_seq"
MANUAL_PREFIX = "MANUAL_"
NOTES_MAX_CHARS = 10_000
LABEL_MAX_CHARS = 200
METADATA_MAX_BYTES = 64 * 1024
_TEXT_FIELDS = {
    "notes": ("Note", NOTES_MAX_CHARS),
    "wallet": ("Wallet", LABEL_MAX_CHARS),
    "platformId": ("Platform", LABEL_MAX_CHARS),
    "role": ("Role", LABEL_MAX_CHARS),
    "incomingAsset": ("Incoming asset", ASSET_ID_MAX_CHARS),
    "outgoingAsset": ("Outgoing asset", ASSET_ID_MAX_CHARS),
    "feeAsset": ("Fee asset", ASSET_ID_MAX_CHARS),
}

TransactionType = Literal[
    "Buy", "Sell", "Swap", "Deposit", "Withdraw", "Unknown", "Reward", "Unwrap", "Wrap",
    "Approve", "Stake", "Unstake", "Gift", "Other",
]  # fmt: skip


class ManualTransactionInput(TypedDict, total=False):
    type: TransactionType
    timestamp: int
    wallet: str
    platformId: str
    incoming: str | None
    incomingAsset: str | None
    outgoing: str | None
    outgoingAsset: str | None
    fee: str | None
    feeAsset: str | None
    notes: str | None
    price: str | None


class TransactionPatch(TypedDict, total=False):
    id: str
    incomingAsset: str | None
    incoming: str | None
    feeAsset: str | None
    fee: str | None
    outgoingAsset: str | None
    outgoing: str | None
    notes: str | None
    platformId: str
    price: str | None
    role: str | None
    timestamp: int
    type: TransactionType
    wallet: str
    metadata: dict[str, Any]


def _amount(value: str | None, label: str) -> str | None:
    if value is None or value == "":
        return None
    shown = shortened(value)
    try:
        number = decimals.parse(value)
    except decimals.InvalidAmount as error:
        if error.reason:
            raise InvalidInputError(f'Invalid {label} amount "{shown}": {error.reason}') from None
        number = None
    if number is None or number <= 0:
        raise InvalidInputError(f'Invalid {label} amount "{shown}": expected a positive number')
    return decimals.to_fixed(number)


def _check_timestamp(timestamp: int) -> None:
    """Not before 1970 (the Unix epoch, 0, is accepted) and not in the future."""
    if timestamp < 0:
        raise InvalidInputError(f"Timestamp {timestamp} is before 1970")
    _check_not_future(timestamp)


def _check_not_future(timestamp: int) -> None:
    """A transaction more than a day ahead of now is a typo: it would move every balance there."""
    if timestamp > now_ms() + DAY_MS:
        shown = utc_text(timestamp) if timestamp <= LATEST_TIMESTAMP else str(timestamp)
        raise InvalidInputError(f"Timestamp {shown} is in the future")


def _log_operation(tx_type: str, swap_operation: str) -> str:
    if tx_type == "Swap":
        return swap_operation
    return "Unknown" if tx_type in ("Wrap", "Unwrap") else tx_type


def build_manual_transaction(
    data: ManualTransactionInput, tx_id: str, index: int
) -> tuple[Transaction, list[AuditLog]]:
    """Validate the input and build the transaction and its audit logs."""
    for key, value in data.items():
        _bounded(key, value)
    data = _trimmed(data)
    incoming = _checked_side(data.get("incoming"), data.get("incomingAsset"), "incoming")
    outgoing = _checked_side(data.get("outgoing"), data.get("outgoingAsset"), "outgoing")
    fee = _checked_side(data.get("fee"), data.get("feeAsset"), "fee")
    timestamp = data.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise InvalidInputError("Timestamp is required")
    _check_timestamp(timestamp)
    wallet, platform_id = data.get("wallet"), data.get("platformId")
    if not wallet or _blank(wallet):
        raise InvalidInputError("Wallet is required")
    if not platform_id or _blank(platform_id):
        raise InvalidInputError("Platform is required")
    if not (incoming or outgoing or fee):
        raise InvalidInputError("A transaction needs an incoming, outgoing or fee amount")
    tx_type = data.get("type") or "Other"
    _check_sides(tx_type, data, incoming=incoming, outgoing=outgoing)
    # With both sides the price is worked out from them: one sent along (a stored record sent
    # back whole, say) is not read.
    price = _derived_price(incoming, outgoing) if incoming and outgoing else None
    if price is None:
        price = _amount(data.get("price"), "price")
    transaction = Transaction(
        id=tx_id,
        incomingAsset=data.get("incomingAsset") if incoming else None,
        incoming=incoming,
        feeAsset=data.get("feeAsset") if fee else None,
        fee=fee,
        importIndex=index,
        outgoingAsset=data.get("outgoingAsset") if outgoing else None,
        outgoing=outgoing,
        notes=data.get("notes") or None,
        platformId=platform_id,
        price=price,
        timestamp=timestamp,
        type=tx_type,
        wallet=wallet,
    )
    return transaction, _audit_logs(transaction, index)


def _derived_price(incoming: str, outgoing: str) -> str:
    return decimals.to_string(decimals.divide(decimals.parse(outgoing), decimals.parse(incoming)))


def _check_sides(
    tx_type: str, data: ManualTransactionInput, *, incoming: str | None, outgoing: str | None
) -> None:
    """A deposit only brings in, a withdrawal only takes out, and a swap changes one asset for
    another."""
    if tx_type == "Deposit" and outgoing:
        raise InvalidInputError("A Deposit has no outgoing amount (for an exchange, choose Swap)")
    if tx_type == "Withdraw" and incoming:
        raise InvalidInputError("A Withdraw has no incoming amount (for an exchange, choose Swap)")
    if tx_type == "Swap" and not (incoming and outgoing):
        raise InvalidInputError(
            "A Swap has an incoming and an outgoing amount (for one side only, choose Deposit "
            "or Withdraw)"
        )
    if incoming and outgoing and data.get("incomingAsset") == data.get("outgoingAsset"):
        raise InvalidInputError(
            f"The incoming and outgoing assets are the same ({data.get('incomingAsset')}): "
            "a transaction cannot exchange an asset for itself"
        )


#: Names whose surrounding spaces (a pasted value, say) would make another wallet or asset.
_TRIMMED_FIELDS = ("wallet", "platformId", "incomingAsset", "outgoingAsset", "feeAsset")
_ASSET_FIELDS = ("incomingAsset", "outgoingAsset", "feeAsset")


def _trimmed(data: ManualTransactionInput) -> ManualTransactionInput:
    """Names without surrounding spaces, asset ids without spaces around their parts, and a
    fiat code in upper case (``fiat:usd`` is ``fiat:USD``, as in the generic CSV)."""
    trimmed = dict(data)
    for key in _TRIMMED_FIELDS:
        if isinstance(value := trimmed.get(key), str):
            trimmed[key] = value.strip()
    for key in _ASSET_FIELDS:
        if isinstance(value := trimmed.get(key), str):
            trimmed[key] = asset_ids.cleaned(value)
    return cast(ManualTransactionInput, trimmed)


def _check_asset_id(asset: str, side: str) -> None:
    """``<platform>:<symbol>`` or ``<platform>:<contract>:<symbol>`` (data-model §3.1), with a
    platform and a symbol."""
    if asset_ids.is_asset_id(asset) and asset.count(":") <= 2:
        if problem := asset_ids.contract_problem(asset):
            raise InvalidInputError(f"{side.capitalize()} asset: {problem}")
        return
    raise InvalidInputError(
        f'{side.capitalize()} asset "{shortened(asset)}" is not an asset id: write '
        "<platform>:<symbol>, e.g. stock:AAPL, fiat:EUR or ex.binance:BTC"
    )


def _bounded(key: str, value: Any) -> Any:
    """``value`` if it is not a text of ``_TEXT_FIELDS`` beyond its bound (decision 0011)."""
    if key in _TEXT_FIELDS and isinstance(value, str):
        what, limit = _TEXT_FIELDS[key]
        bounded_text(what, value, limit, lines=key == "notes")
    return value


def _checked_side(amount_text: str | None, asset: str | None, side: str) -> str | None:
    amount = _amount(amount_text, side)
    if amount is not None and _blank(asset):
        raise InvalidInputError(f"{side.capitalize()} asset is required")
    if amount is not None and asset is not None:
        _check_asset_id(asset, side)
    return amount


def _blank(text: str | None) -> bool:
    """No text, or only spaces: no wallet, platform or asset can be named so."""
    return not text or not text.strip()


def _audit_logs(tx: Transaction, index: int) -> list[AuditLog]:
    def log(suffix: str, asset: str, change: str, operation: str) -> AuditLog:
        return AuditLog(
            id=f"{tx.id}_{suffix}",
            assetId=asset,
            change=change,
            importIndex=index,
            operation=operation,
            platformId=tx.platformId,
            timestamp=tx.timestamp,
            txId=tx.id,
            wallet=tx.wallet,
        )

    logs = []
    if tx.incoming and tx.incomingAsset:
        logs.append(log("BUY", tx.incomingAsset, tx.incoming, _log_operation(tx.type, "Buy")))
    if tx.outgoing and tx.outgoingAsset:
        operation = _log_operation(tx.type, "Sell")
        logs.append(log("SELL", tx.outgoingAsset, f"-{tx.outgoing}", operation))
    if tx.fee and tx.feeAsset:
        logs.append(log("FEE", tx.feeAsset, f"-{tx.fee}", "Fee"))
    return logs


def existing_transaction(connection: sqlite3.Connection, tx_id: str) -> Transaction:
    row = connection.execute("SELECT * FROM transactions WHERE id = ?", (tx_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"Transaction {tx_id} does not exist")
    return transaction_from_row(row)


def is_manual(tx_id: str) -> bool:
    return tx_id.startswith(MANUAL_PREFIX)


def manual_record(connection: sqlite3.Connection, tx_id: str) -> dict[str, Any] | None:
    """A manual transaction as the change feed carries it, or ``None`` if there is none."""
    row = connection.execute("SELECT * FROM transactions WHERE id = ?", (tx_id,)).fetchone()
    return None if row is None or not is_manual(tx_id) else transaction_from_row(row).to_wire()


def add_manual(connection: sqlite3.Connection, data: ManualTransactionInput) -> Transaction:
    """Insert ``MANUAL_<n>`` and its audit logs, and take the next ``n``."""
    sequence = next_manual_number(connection)
    tx, logs = build_manual_transaction(data, f"{MANUAL_PREFIX}{sequence}", sequence)
    ledger.insert_transactions(connection, [tx])
    ledger.insert_audit_logs(connection, logs)
    write_value(connection, SEQUENCE_KEY, sequence + 1)
    append_change(connection, "transaction", tx.id, tx.to_wire())
    return tx


def next_manual_number(connection: sqlite3.Connection) -> int:
    """The number the next manual transaction takes: its counter's, past any number in use.

    The counter is a key-value entry, which ``setValue`` and ``executeSql`` can set to anything;
    a number in use is never given again, and a counter that is not a positive whole number
    counts from 1."""
    stored = read_value(connection, SEQUENCE_KEY)
    number = stored if type(stored) is int and stored > 0 else 1
    in_use = "SELECT 1 FROM transactions WHERE id = ?"
    while connection.execute(in_use, (f"{MANUAL_PREFIX}{number}",)).fetchone() is not None:
        number += 1
    return number


def update_manual(connection: sqlite3.Connection, tx_id: str, data: ManualTransactionInput) -> int:
    """Replace a manual transaction and its audit logs; returns the older of the two timestamps."""
    if not is_manual(tx_id):
        raise InvalidInputError(
            f"Only manual transactions can be updated, not {tx_id}: use patchTransaction "
            "to change its notes"
        )
    old = existing_transaction(connection, tx_id)
    index = int(old.importIndex or tx_id.removeprefix(MANUAL_PREFIX) or 0)
    tx, logs = build_manual_transaction(data, tx_id, index)
    tx.metadata, tx.role = old.metadata, old.role
    if tx.to_wire() == old.to_wire():
        return min(old.timestamp, tx.timestamp)
    old_logs = connection.execute(
        "SELECT id, assetId FROM audit_logs WHERE txId = ?", (tx_id,)
    ).fetchall()
    tag_store.untag_items(
        connection,
        "auditLog",
        sorted({log_id for log_id, _ in old_logs} - {log.id for log in logs}),
    )
    made = {(log.id, log.assetId) for log in logs}
    moved = [(log_id, asset) for log_id, asset in old_logs if (log_id, asset) not in made]
    trade_store.unlink_moved(connection, tx_id, moved, {log.assetId for log in logs})
    connection.execute("DELETE FROM audit_logs WHERE txId = ?", (tx_id,))
    ledger.insert_transactions(connection, [tx])
    ledger.insert_audit_logs(connection, logs)
    append_change(connection, "transaction", tx_id, tx.to_wire())
    return min(old.timestamp, tx.timestamp)


def patch_transaction(
    connection: sqlite3.Connection, tx_id: str, patch: TransactionPatch
) -> int | None:
    """Merge fields into a transaction (notes, say). A manual transaction whose amounts, assets,
    time, wallet, platform or type change gets its audit logs made again, as ``update_manual``
    makes them, and the older timestamp is returned; else None. An imported transaction's
    ledger fields are those of its audit logs: they cannot be patched. Its type can, and its
    logs stay, but its timestamp is returned: the trades' rows depend on the type (a Deposit or
    Withdraw is a deposit row, data-model §8.2), so they are invalidated from there."""
    if patch.get("id", tx_id) != tx_id:
        raise InvalidInputError("A transaction's id cannot be changed")
    tx = existing_transaction(connection, tx_id)
    unpatched = tx.to_wire()
    changed = set()
    for key, value in patch.items():
        # Other keys (a whole record sent back, say) are ignored, and so are unchanged values.
        if key in _PATCH_FIELDS and key != "price" and value != getattr(tx, key):
            setattr(tx, key, _patched_value(key, value))
            changed.add(key)
    two_sided = is_manual(tx_id) and bool(tx.incoming and tx.outgoing)
    if "price" in patch and patch["price"] != tx.price and not two_sided:
        tx.price = _patched_value("price", patch["price"])  # else worked out from the sides
        changed.add("price")
    if tx.to_wire() == unpatched:
        return None
    for side in ("incoming", "outgoing", "fee"):
        if getattr(tx, side) and _blank(getattr(tx, f"{side}Asset")):
            raise InvalidInputError(f"{side.capitalize()} asset is required")
    if not is_manual(tx_id):
        _refuse_ledger_patch(tx_id, changed)
        ledger.insert_transactions(connection, [tx])
        note_patched(connection, tx_id, changed)  # its source, syncing again, keeps them
        return tx.timestamp if "type" in changed else None
    if changed & _LEDGER_FIELDS:
        # A price worked out from both sides is worked out again (or dropped with a side).
        derived = bool(unpatched.get("incoming") and unpatched.get("outgoing"))
        typed_price = tx.price if "price" in changed or not derived else None
        oldest = update_manual(connection, tx_id, _manual_input(tx, typed_price))
        if changed & {"metadata", "role"}:
            _write_role_and_metadata(connection, tx)
        return oldest
    ledger.insert_transactions(connection, [tx])
    append_change(connection, "transaction", tx_id, tx.to_wire())
    return None


#: What a manual transaction's audit logs are made from (its type names their operations).
_LEDGER_FIELDS = frozenset(
    {"incoming", "incomingAsset", "outgoing", "outgoingAsset", "fee", "feeAsset", "timestamp"}
    | {"wallet", "platformId", "type"}
)


def _refuse_ledger_patch(tx_id: str, changed: set[str]) -> None:
    fixed = sorted(changed & (_LEDGER_FIELDS - {"type"}))
    if fixed:
        names = fixed[0] if len(fixed) == 1 else f"{', '.join(fixed[:-1])} and {fixed[-1]}"
        raise InvalidInputError(
            f"Transaction {tx_id} was imported, so its audit logs fix its {names}: only its "
            "notes, type, price, role and metadata can be patched"
        )


def _manual_input(tx: Transaction, price: str | None) -> ManualTransactionInput:
    return ManualTransactionInput(
        type=cast(TransactionType, tx.type),
        timestamp=tx.timestamp,
        wallet=tx.wallet,
        platformId=tx.platformId,
        incoming=tx.incoming,
        incomingAsset=tx.incomingAsset,
        outgoing=tx.outgoing,
        outgoingAsset=tx.outgoingAsset,
        fee=tx.fee,
        feeAsset=tx.feeAsset,
        notes=tx.notes,
        price=price,
    )


def _write_role_and_metadata(connection: sqlite3.Connection, tx: Transaction) -> None:
    """What ``update_manual`` does not take: the patched role and metadata."""
    encoded = orjson.dumps(tx.metadata).decode()
    connection.execute(
        "UPDATE transactions SET role = ?, metadata = ? WHERE id = ?", (tx.role, encoded, tx.id)
    )
    append_change(connection, "transaction", tx.id, manual_record(connection, tx.id))


_PATCH_AMOUNTS = frozenset({"incoming", "outgoing", "fee", "price"})
_PATCH_REQUIRED_TEXTS = frozenset({"platformId", "type", "wallet"})
_PATCH_FIELDS = frozenset(TransactionPatch.__annotations__)


def _patched_value(key: str, value: Any) -> Any:
    """A patch's new value of a field, checked as ``addTransaction`` checks it (the types are
    checked by the method's signature)."""
    if key in _PATCH_AMOUNTS:
        return _amount(value, key)
    if key == "timestamp":
        _check_timestamp(value)
    elif key == "metadata":
        bounded_size("Transaction metadata", value, METADATA_MAX_BYTES)
        return value or {}
    elif key in _PATCH_REQUIRED_TEXTS and _blank(value):
        raise InvalidInputError(f"'{key}' cannot be empty")
    return _bounded(key, value)


def delete_transaction(connection: sqlite3.Connection, tx_id: str) -> tuple[int, int | None]:
    """Delete a transaction, its audit logs and its tags; returns (logs removed, oldest time)."""
    existing_transaction(connection, tx_id)
    oldest = ledger.oldest_timestamp(connection, "txId = ?", (tx_id,))
    log_ids = [
        row[0] for row in connection.execute("SELECT id FROM audit_logs WHERE txId = ?", (tx_id,))
    ]
    tag_store.untag_items(connection, "auditLog", log_ids)
    logs = connection.execute("DELETE FROM audit_logs WHERE txId = ?", (tx_id,)).rowcount
    tag_store.untag_items(connection, "transaction", [tx_id])
    connection.execute("DELETE FROM transactions WHERE id = ?", (tx_id,))
    forget_merge(connection, tx_id)
    forget_patched(connection, [tx_id])
    if is_manual(tx_id):
        append_change(connection, "transaction", tx_id, None)
    return logs, oldest


class ManualTransactions:
    def __init__(self, account: str, db: Database, events: EventBus) -> None:
        self.account = account
        self._db = db
        self._events = events

    async def add(self, data: ManualTransactionInput, group_id: str | None) -> str:
        """Create ``MANUAL_<n>`` and its audit logs; returns the id."""
        tx = await self._db.transaction(lambda connection: add_manual(connection, data))
        self.announce_added(tx, group_id)
        return tx.id

    def announce_added(self, tx: Transaction, group_id: str | None) -> None:
        self._emit("key-value", SEQUENCE_KEY, int(tx.importIndex or 0) + 1)
        self._emit("transactions", "created")
        self._emit("audit-logs", "created", min(tx.timestamp, now_ms()), group_id)

    async def update(self, tx_id: str, data: ManualTransactionInput) -> None:
        """Replace a manual transaction and its audit logs, keeping its id."""
        oldest = await self._db.transaction(
            lambda connection: update_manual(connection, tx_id, data)
        )
        self.announce_updated(oldest)

    def announce_updated(self, oldest: int) -> None:
        self._emit("transactions", "created")
        self._emit("audit-logs", "created", min(oldest, now_ms()), None)

    async def patch(self, tx_id: str, patch: TransactionPatch) -> None:
        """Merge fields into a transaction (notes, say); see ``patch_transaction``."""
        oldest = await self._db.transaction(
            lambda connection: patch_transaction(connection, tx_id, patch)
        )
        if oldest is None:
            self.announce_patched()
        else:
            self.announce_updated(oldest)

    def announce_patched(self) -> None:
        self._emit("transactions", "created")

    async def delete(self, tx_id: str, progress: Progress, cancel: SqlCancel) -> None:
        """Delete a transaction, its audit logs and its tags (those of its logs too); all of it
        or, when the task is cancelled before the commit, nothing."""
        progress(0, f"Removing transaction {tx_id}")

        def delete(connection: sqlite3.Connection) -> tuple[int, int | None]:
            removed = delete_transaction(connection, tx_id)
            cancel.checkpoint()
            return removed

        transaction = self._db.transaction(cancel.guard_sql(delete))
        logs, oldest = await seen_through(transaction)
        self.announce_deleted(tx_id, oldest)
        progress(100, f"Removed transaction {tx_id} and its {logs} audit logs")

    def announce_deleted(self, tx_id: str, oldest: int | None) -> None:
        self._emit("transactions", "deleted", tx_id)
        self._emit("audit-logs", "deleted", oldest, None)

    def _emit(self, channel: str, *args: Any) -> None:
        self._events.emit(channel, *args, account=self.account)
