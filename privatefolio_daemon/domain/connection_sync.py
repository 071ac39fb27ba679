"""Syncing a connection, and checking EVM wallets' computed balances against the chain.

A sync asks the connection's source for everything after the stored cursor, then writes the logs
and transactions (INSERT OR REPLACE: the sources' ids are deterministic, so a re-sync changes
nothing), the accumulated ``meta``, ``syncedAt`` and the new cursor in one transaction. Records
written again (a connection edited syncs from its start) first undo the merges that stand for
them, and the side effects merge them again: the ledger ends as it was, a user's notes kept
(a source brings none), and so are the fields the user patched (``transaction_patches``); the
others take the source's values. A source that finds nothing new returns its old cursor, which
is kept (the original resets it to 0). A failed sync writes nothing, and its message is redacted
of every secret of the connection. A sync cancelled before its commit writes nothing either;
once committed, it completes, its events sent. A connection saved again while its sync ran keeps
the cursor that save set (its start): the sync saves what it fetched, and the next one reads
everything again with what was saved.
"""

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.connection_sources import EVM_EXTENSION, ConnectionSources
from privatefolio_daemon.domain.connections import Connections
from privatefolio_daemon.domain.derived_steps import Cancel, Progress, SqlCancel
from privatefolio_daemon.domain.errors import DomainError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.merged_transactions import split_merges_with
from privatefolio_daemon.domain.records import Transaction
from privatefolio_daemon.domain.secrets import redact
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.domain.transaction_patches import with_users_patches
from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncError, SyncResult
from privatefolio_daemon.store import connections as store
from privatefolio_daemon.store import ledger
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.seen_through import seen_through

log = logging.getLogger(__name__)

RESAVED_DURING_SYNC = (
    "The connection was saved again during this sync: its next sync reads everything again"
)

#: A URL path segment or query value at least this long is treated as a key.
_KEY_LIKE_LENGTH = 16


class ConnectionSyncError(DomainError):
    """A sync failed; the message is the source's, without any secret."""


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    connection: dict[str, Any]
    logs: int
    transactions: int
    cursor: int


class ConnectionSync:
    def __init__(
        self,
        connections: Connections,
        db: Database,
        events: EventBus,
        sources: ConnectionSources,
    ) -> None:
        self._connections = connections
        self._db = db
        self._events = events
        self._sources = sources

    @property
    def account(self) -> str:
        return self._connections.account

    async def sync(
        self, connection_id: str, group_id: str | None, progress: Progress, cancel: SqlCancel
    ) -> SyncOutcome:
        cursor, saves = await self._connections.sync_point(connection_id)
        record = await self._connections.require(connection_id)
        spec = await self._connections.spec(record)
        source = self._sources.source_for(spec.extension_id)
        progress(0, f"Syncing connection #{record['connectionNumber']} from cursor {cursor}")
        result = await _fetch(source.sync, spec, cursor, progress)
        cancel.checkpoint()
        count = len(result.logs), len(result.transactions)
        progress(None, f"Saving {count[0]} audit logs and {count[1]} transactions")

        def save(connection: sqlite3.Connection) -> tuple[dict[str, Any], int, bool]:
            outcome = _save(connection, record, result, saves)
            cancel.checkpoint()  # the last moment a cancel leaves nothing saved
            return outcome

        # Committed, the sync goes on to announce what it saved even if it was cancelled meanwhile.
        saved, new_cursor, resaved = await seen_through(
            self._db.transaction(cancel.guard_sql(save))
        )
        if resaved:
            progress(None, RESAVED_DURING_SYNC)
        if result.logs:
            oldest = min(min(log.timestamp for log in result.logs), now_ms())
            self._events.emit("audit-logs", "created", oldest, group_id, account=self.account)
        if result.transactions:
            self._events.emit("transactions", "created", account=self.account)
        self._events.emit("connections", "created", account=self.account)
        self._events.emit("connections", "created", saved, account=self.account)
        meta = saved["meta"]
        progress(
            100,
            f"Synced connection #{saved['connectionNumber']}: it holds {meta['logs']} audit logs "
            f"and {meta['transactions']} transactions; next sync from {new_cursor}",
        )
        return SyncOutcome(saved, count[0], count[1], new_cursor)

    async def verify_balances(self, progress: Progress, cancel: Cancel) -> int:
        """Compare each EVM wallet's latest computed balances with the chain; report the
        differences per asset in ``progress``. Returns how many differ."""
        wallets = [c for c in await self._connections.all() if c["extensionId"] == EVM_EXTENSION]
        progress(0, f"Verifying the balances of {len(wallets)} EVM wallets")
        differing = 0
        for record in wallets:
            cancel.checkpoint()
            label = f"{record['address']} on {record['platformId']}"
            spec = await self._connections.spec(record)
            computed = await self._db.read(partial(_computed_balances, record=record))
            try:
                differences = await self._sources.evm.verify_balances(spec, computed)
            except SyncError as error:
                progress(None, f"{label}: cannot verify: {redact(str(error), _secrets(spec))}")
                continue
            for difference in differences:
                progress(
                    None,
                    f"{label}: {difference.asset_id}: computed {difference.computed}, "
                    f"on-chain {difference.on_chain}, difference {difference.difference}",
                )
            if not differences:
                progress(None, f"{label}: the balances match the chain")
            differing += len(differences)
        progress(100, f"Found {differing} differences")
        return differing


async def _fetch(sync: Any, spec: ConnectionSpec, cursor: int, progress: Progress) -> SyncResult:
    secrets = _secrets(spec)

    def report(percent: float | None, message: str | None) -> None:
        progress(percent, None if message is None else redact(message, secrets))

    try:
        result: SyncResult = await sync(spec, cursor, report)
    except SyncError as error:
        raise ConnectionSyncError(redact(str(error), secrets)) from None
    except (DomainError, NotImplementedError):
        raise
    except Exception as error:  # a source bug or an unexpected network failure
        text = redact(f"{type(error).__name__}: {error}", secrets)
        log.warning("Connection %s sync failed unexpectedly: %s", spec.id, text)
        raise ConnectionSyncError(f"The sync failed unexpectedly: {text}") from None
    return result


def _save(
    connection: sqlite3.Connection, record: dict[str, Any], result: SyncResult, saves: int
) -> tuple[dict[str, Any], int, bool]:
    """Write what the sync fetched; returns the connection, its cursor, and whether it was
    saved again during the sync (``saves`` differs): its cursor then stays where that save put
    it, so that the next sync reads everything again with what was saved."""
    connection_id = str(record["id"])
    row = store.read_connection(connection, connection_id)
    if row is None:
        raise ConnectionSyncError(f"Connection {connection_id} was removed during its sync")
    record = store.connection_to_wire(row)
    split_merges_with(connection, [tx.id for tx in result.transactions])
    meta = _accumulated(connection, record.get("meta") or store.empty_meta(), result)
    ledger.insert_audit_logs(connection, result.logs)
    ledger.insert_transactions(connection, _with_users_edits(connection, result.transactions))
    saved = record | {"meta": meta, "syncedAt": now_ms()}
    store.write_connection(connection, saved)
    key = store.cursor_key(connection_id)
    cursor = int(read_value(connection, key) or 0)
    resaved = store.saves(connection, connection_id) != saves
    if result.cursor is not None and not resaved:
        cursor = result.cursor
        write_value(connection, key, cursor)
    return saved, cursor, resaved


def _with_users_edits(
    connection: sqlite3.Connection, transactions: Sequence[Transaction]
) -> list[Transaction]:
    """The transactions, each written again keeping the notes a user put on it (a source brings
    none) and the fields the user patched; the others take the source's values."""
    notes = ledger.notes_of(connection, [tx.id for tx in transactions])
    noted = [replace(tx, notes=notes[tx.id]) if tx.id in notes else tx for tx in transactions]
    return with_users_patches(connection, noted)


def _accumulated(
    connection: sqlite3.Connection, meta: dict[str, Any], result: SyncResult
) -> dict[str, Any]:
    """``meta`` plus what this sync brings that the ledger did not hold yet (a record fetched
    again, which the sources' deterministic ids make a no-op, is not counted twice)."""
    new_logs = len(result.logs) - store.count_existing(
        connection, "audit_logs", [log.id for log in result.logs]
    )
    new_transactions = len(result.transactions) - store.count_existing(
        connection, "transactions", [tx.id for tx in result.transactions]
    )

    def union(name: str, values: Iterable[str]) -> list[str]:
        return sorted({*meta.get(name, []), *values})

    return {
        "assetIds": union("assetIds", (log.assetId for log in result.logs)),
        "logs": int(meta.get("logs", 0)) + new_logs,
        "operations": union("operations", (log.operation for log in result.logs)),
        "rows": int(meta.get("rows", 0)) + new_transactions,
        "transactions": int(meta.get("transactions", 0)) + new_transactions,
        "wallets": union("wallets", (log.wallet for log in result.logs)),
    }


def _computed_balances(connection: sqlite3.Connection, *, record: dict[str, Any]) -> dict[str, str]:
    """The wallet's latest ``balanceWallet`` per asset; the sum of its changes where balances
    were not computed yet."""
    platform_id, wallet = str(record["platformId"]), str(record.get("address") or "")
    latest = store.latest_wallet_balances(connection, platform_id, wallet)
    missing = {asset_id for asset_id, balance in latest.items() if balance is None}
    sums: dict[str, Decimal] = {}
    if missing:
        for asset_id, change in store.wallet_changes(connection, platform_id, wallet):
            if asset_id in missing:
                total = sums.get(asset_id, Decimal(0))
                sums[asset_id] = decimals.add(total, decimals.parse(change))
    return {
        asset_id: balance if balance is not None else decimals.to_fixed(sums[asset_id])
        for asset_id, balance in latest.items()
    }


def _secrets(spec: ConnectionSpec) -> list[str]:
    """Every string of the connection that must not be shown: keys, and RPC URLs with the
    parts of them that look like keys."""
    found = [s for s in (spec.api_key, spec.api_secret) if s]
    for url in spec.options.get("rpcUrls") or []:
        found.extend(_url_secrets(str(url)))
    return found


def _url_secrets(url: str) -> Iterable[str]:
    parts = urlsplit(url)
    if not (parts.path.strip("/") or parts.query or parts.username):
        return []
    found = [url, url.split("://", 1)[-1]]
    found += [p for p in parts.path.split("/") if len(p) >= _KEY_LIKE_LENGTH]
    found += [v for _, v in parse_qsl(parts.query) if len(v) >= _KEY_LIKE_LENGTH]
    found += [s for s in (parts.username, parts.password) if s]
    return found
