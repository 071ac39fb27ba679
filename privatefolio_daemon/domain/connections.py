"""Connections as records: upsert with the Privatefolio id recipe, read, reset and delete.

Secrets never reach the ``connections`` table. The API secret, the API key, the API passphrase
(OKX, KuCoin, Coinbase Exchange) and the RPC URLs are encrypted into key-value entries
(``connection_api_secret_<id>``, ``connection_api_key_<id>``, ``connection_api_passphrase_<id>``,
``connection_rpc_urls_<id>``); the row keeps only a masked key (``Zq3R…Df1``) and RPC URLs with
everything after the host hidden, for display. ``spec()`` decrypts them in memory for a sync; the
passphrase travels in the spec's ``options["apiPassphrase"]``.
"""

import sqlite3
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict
from urllib.parse import urlsplit

import orjson

from privatefolio_daemon.domain.connection_sources import (
    EVM_EXTENSION,
    check_exchange,
    check_platform,
)
from privatefolio_daemon.domain.derived_steps import SqlCancel
from privatefolio_daemon.domain.errors import ConflictError, InvalidInputError, NotFoundError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.domain.merged_transactions import split_merges_of
from privatefolio_daemon.domain.secrets import REDACTED, SecretBox, mask
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncError
from privatefolio_daemon.sources.evm.wallet_settings import check_options
from privatefolio_daemon.sources.exchanges.profiles import PASSPHRASE_OPTION
from privatefolio_daemon.sources.importers.evm import (
    checksum_address,
    checksum_matches,
    is_address,
)
from privatefolio_daemon.store import connections as store
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.key_value import read_value, write_value
from privatefolio_daemon.store.seen_through import seen_through


class NewConnection(TypedDict):
    extensionId: str
    platformId: str
    address: NotRequired[str | None]
    apiKey: NotRequired[str | None]
    apiSecret: NotRequired[str | None]
    apiPassphrase: NotRequired[str | None]
    options: NotRequired[dict[str, Any] | None]
    id: NotRequired[str]
    connectionNumber: NotRequired[int]
    meta: NotRequired[dict[str, Any] | None]
    syncedAt: NotRequired[int | None]
    timestamp: NotRequired[int]


class _Secrets(TypedDict, total=False):
    apiKey: str
    apiSecret: str
    rpcUrls: str
    apiPassphrase: str


#: What a removal of a connection's rows returns: its record, the oldest time it touched, the
#: counts of logs and transactions deleted, and whether merged transactions were split.
_Removal = tuple[dict[str, Any], int | None, int, int, bool]


class Connections:
    def __init__(self, account: str, db: Database, events: EventBus, box: SecretBox) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._box = box

    async def upsert(self, items: list[NewConnection]) -> list[dict[str, Any]]:
        """Create or replace connections; every upserted one syncs again from the start."""
        for extension_id in sorted({item["extensionId"] for item in items}):
            await check_exchange(extension_id)
        prepared = [self._prepare(item) for item in items]

        def upsert(connection: sqlite3.Connection) -> list[dict[str, Any]]:
            _refuse_second_wallet(connection, [record for record, _ in prepared])
            for record, secrets in prepared:
                _require_secret(connection, record, secrets)
            sequence = int(read_value(connection, store.SEQUENCE_KEY) or 0)
            saved = [
                _save(connection, record, secrets, sequence + index + 1)
                for index, (record, secrets) in enumerate(prepared)
            ]
            numbers = [record["connectionNumber"] for record in saved]
            write_value(connection, store.SEQUENCE_KEY, max([sequence, *numbers]))
            return saved

        try:
            saved = await self._db.transaction(upsert)
        except sqlite3.IntegrityError as error:
            raise ConflictError(f"Connection number already in use: {error}") from None
        self._events.emit("connections", "created", account=self.account)
        for record in saved:
            self._events.emit("connections", "created", record, account=self.account)
        return saved

    async def get(self, connection_id: str) -> dict[str, Any] | None:
        row = await self._db.read(lambda conn: store.read_connection(conn, connection_id))
        return None if row is None else store.connection_to_wire(row)

    async def require(self, connection_id: str) -> dict[str, Any]:
        record = await self.get(connection_id)
        if record is None:
            raise NotFoundError(f"Connection {connection_id} does not exist")
        return record

    async def all(self) -> list[dict[str, Any]]:
        rows = await self._db.read(store.read_connections)
        return [store.connection_to_wire(row) for row in rows]

    async def sync_point(self, connection_id: str) -> tuple[int, int]:
        """Where the connection's next sync starts (its cursor), and how many times it was saved
        so far: a sync reads this before the connection's spec."""

        def read(connection: sqlite3.Connection) -> tuple[int, int]:
            cursor = read_value(connection, store.cursor_key(connection_id))
            return int(cursor or 0), store.saves(connection, connection_id)

        return await self._db.read(read)

    async def spec(self, record: dict[str, Any]) -> ConnectionSpec:
        """What a source needs, with the secrets decrypted (in memory only)."""
        connection_id = str(record["id"])
        keys = store.secret_keys(connection_id)
        stored = await self._db.read(lambda conn: [read_value(conn, key) for key in keys])
        api_secret, api_key, rpc_urls, passphrase = (
            None if value is None else self._box.decrypt(str(value)) for value in stored
        )
        options = dict(record.get("options") or {})
        options.pop("rpcUrls", None)
        if rpc_urls is not None:
            options["rpcUrls"] = orjson.loads(rpc_urls)
        if passphrase is not None:
            options[PASSPHRASE_OPTION] = passphrase
        # The asset ids earlier syncs recorded: an EVM wallet reads their balances again, an
        # exchange that answers trades market by market reads their markets again.
        known = list((record.get("meta") or {}).get("assetIds") or [])
        if record["extensionId"] == EVM_EXTENSION or known:
            options["knownAssetIds"] = known
        return ConnectionSpec(
            id=connection_id,
            extension_id=str(record["extensionId"]),
            platform_id=str(record["platformId"]),
            address=record.get("address"),
            api_key=api_key,
            api_secret=api_secret,
            options=options,
        )

    async def reset(self, connection_id: str, cancel: SqlCancel) -> tuple[dict[str, Any], int, int]:
        """Delete the connection's audit logs and transactions, cursor → 0, meta zeroed.
        Returns the connection and how many logs and transactions went."""

        def reset(connection: sqlite3.Connection) -> _Removal:
            return _reset(connection, connection_id)

        record, oldest, logs, transactions, split = await self._clear(reset, cancel)
        self._emit_ledger_deleted(oldest, split)
        self._events.emit("connections", "created", record, account=self.account)
        return record, logs, transactions

    async def delete(
        self, connection_id: str, cancel: SqlCancel
    ) -> tuple[dict[str, Any], int, int]:
        """Reset, then delete the row with its cursor and secrets, in one transaction."""

        def delete(connection: sqlite3.Connection) -> _Removal:
            removal = _reset(connection, connection_id)
            store.delete_connection(connection, connection_id)
            return removal

        record, oldest, logs, transactions, split = await self._clear(delete, cancel)
        self._emit_ledger_deleted(oldest, split)
        self._events.emit("connections", "deleted", record, account=self.account)
        return record, logs, transactions

    async def _clear(
        self, clear: Callable[[sqlite3.Connection], _Removal], cancel: SqlCancel
    ) -> _Removal:
        """All of ``clear`` or, when the task is cancelled before its commit, nothing; once
        committed, the caller goes on to announce it even if it was cancelled meanwhile."""

        def run(connection: sqlite3.Connection) -> _Removal:
            removal = clear(connection)
            cancel.checkpoint()
            return removal

        return await seen_through(self._db.bulk_transaction(cancel.guard_sql(run)))

    def _emit_ledger_deleted(self, oldest: int | None, split: bool) -> None:
        """``split``: transactions a merge stood for are back, so they are merged again and
        checked for spam, as new ones are."""
        cause = "created" if split else "deleted"
        self._events.emit("audit-logs", cause, oldest, None, account=self.account)
        self._events.emit("transactions", "deleted", account=self.account)

    def _prepare(self, item: NewConnection) -> tuple[dict[str, Any], _Secrets]:
        """The row to store and the encrypted secrets, from what the caller sent."""
        extension_id, platform_id = item["extensionId"], item["platformId"]
        check_platform(extension_id, platform_id)
        address, api_key = item.get("address") or None, item.get("apiKey") or None
        if address is None and api_key is None:
            raise InvalidInputError("A connection needs an address or an API key")
        if extension_id == EVM_EXTENSION and address is None:
            raise InvalidInputError(f"An {EVM_EXTENSION} connection needs 'address'")
        if extension_id != EVM_EXTENSION and api_key is None:
            raise InvalidInputError(f"A {extension_id} connection needs 'apiKey'")
        if address is not None and not is_address(address):
            raise InvalidInputError(f"Invalid EVM address: {address}")
        if address is not None and not checksum_matches(address):
            raise InvalidInputError(
                f"Invalid 'address' {address}: its mixed case is not its EIP-55 checksum, so a "
                "character may be mistyped; check it, or send it all in lower case"
            )
        connection_id = item.get("id") or string_hash(
            f"{extension_id}_{platform_id}_{address or api_key}"
        )
        options = dict(item.get("options") or {})
        if options.pop(PASSPHRASE_OPTION, None) is not None:
            raise InvalidInputError("Send the API passphrase as 'apiPassphrase', not as an option")
        if extension_id == EVM_EXTENSION:
            _check_wallet_options(options)
        secrets: _Secrets = {}
        # A connection sent back as getConnections returned it keeps its stored secrets.
        if options.get("rpcUrls") and not _all_hidden(options["rpcUrls"]):
            urls = _rpc_urls(options["rpcUrls"])
            secrets["rpcUrls"] = self._box.encrypt(orjson.dumps(urls).decode())
            options["rpcUrls"] = [_hidden_url(url) for url in urls]
        if api_key is not None and not _is_masked(api_key):
            secrets["apiKey"] = self._box.encrypt(api_key)
        if item.get("apiSecret"):
            secrets["apiSecret"] = self._box.encrypt(str(item["apiSecret"]))
        if item.get("apiPassphrase"):
            secrets["apiPassphrase"] = self._box.encrypt(str(item["apiPassphrase"]))
        record: dict[str, Any] = {
            "id": connection_id,
            "connectionNumber": item.get("connectionNumber"),
            "address": None if address is None else checksum_address(address),
            "apiKey": None if api_key is None or _is_masked(api_key) else mask(api_key),
            "meta": item.get("meta"),
            "options": options,
            "extensionId": extension_id,
            "platformId": platform_id,
            "syncedAt": item.get("syncedAt"),
            "timestamp": item.get("timestamp"),
        }
        return record, secrets


def _save(
    connection: sqlite3.Connection, record: dict[str, Any], secrets: _Secrets, number: int
) -> dict[str, Any]:
    """Write one prepared connection; an existing one keeps its number, creation time, meta and
    the secrets the caller did not send again."""
    connection_id = record["id"]
    existing_row = store.read_connection(connection, connection_id)
    existing = {} if existing_row is None else store.connection_to_wire(existing_row)
    merged = dict(record)
    for name, fallback in (
        ("connectionNumber", existing.get("connectionNumber", number)),
        ("meta", existing.get("meta")),
        ("syncedAt", existing.get("syncedAt")),
        ("timestamp", existing.get("timestamp", now_ms())),
        ("apiKey", existing.get("apiKey")),
    ):
        if merged.get(name) is None:
            merged[name] = fallback
    if "rpcUrls" not in secrets and "rpcUrls" in (existing.get("options") or {}):
        merged["options"]["rpcUrls"] = existing["options"]["rpcUrls"]
    store.write_connection(connection, merged)
    write_value(connection, store.cursor_key(connection_id), 0)
    store.count_save(connection, connection_id)
    for name, key in (
        ("apiSecret", store.api_secret_key(connection_id)),
        ("apiKey", store.api_key_key(connection_id)),
        ("rpcUrls", store.rpc_urls_key(connection_id)),
        ("apiPassphrase", store.api_passphrase_key(connection_id)),
    ):
        if name in secrets:
            write_value(connection, key, secrets[name])  # type: ignore[literal-required]
    saved = store.read_connection(connection, connection_id)
    assert saved is not None
    return store.connection_to_wire(saved)


def _check_wallet_options(options: dict[str, Any]) -> None:
    try:
        check_options(options)
    except SyncError as error:
        raise InvalidInputError(str(error)) from None


def _require_secret(
    connection: sqlite3.Connection, record: dict[str, Any], secrets: _Secrets
) -> None:
    """An exchange connection needs its API secret: sent now, or stored for it before."""
    if record["extensionId"] == EVM_EXTENSION or "apiSecret" in secrets:
        return
    if read_value(connection, store.api_secret_key(record["id"])) is None:
        raise InvalidInputError(f"A {record['extensionId']} connection needs 'apiSecret'")


def _refuse_second_wallet(connection: sqlite3.Connection, records: list[dict[str, Any]]) -> None:
    """One connection per address and chain: the id recipe hashes the address as sent, so the
    same wallet sent in another case would get a second connection and every balance twice."""
    owners: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in store.read_connections(connection):
        existing = store.connection_to_wire(row)
        if existing.get("address"):
            owners[_wallet_key(existing)] = existing
    for record in records:
        if record.get("address") is None:
            continue
        owner = owners.setdefault(_wallet_key(record), record)
        if owner["id"] != record["id"]:
            number = owner.get("connectionNumber")
            label = f"#{number} ({owner['id']})" if number else owner["id"]
            raise ConflictError(
                f"Connection {label} already syncs {owner['address']} on {owner['platformId']}: "
                "edit or delete it instead of adding the wallet again"
            )


def _wallet_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return str(record["extensionId"]), str(record["platformId"]), str(record["address"]).lower()


def _reset(connection: sqlite3.Connection, connection_id: str) -> _Removal:
    row = store.read_connection(connection, connection_id)
    if row is None:
        raise NotFoundError(f"Connection {connection_id} does not exist")
    oldest_row = connection.execute(
        "SELECT MIN(timestamp) FROM audit_logs WHERE connectionId = ?", (connection_id,)
    ).fetchone()
    split = split_merges_of(connection, "connectionId", connection_id)
    logs, transactions = store.delete_ledger(connection, connection_id)
    record = store.connection_to_wire(row) | {"meta": store.empty_meta()}
    store.write_connection(connection, record)
    write_value(connection, store.cursor_key(connection_id), 0)
    return record, oldest_row[0], logs, transactions, split


def _is_masked(api_key: str) -> bool:
    return "…" in api_key


def _all_hidden(urls: Any) -> bool:
    return isinstance(urls, list) and all(str(url).endswith(f"/{REDACTED}") for url in urls)


def _rpc_urls(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise InvalidInputError("Option 'rpcUrls' must be a list of URLs")
    for url in value:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise InvalidInputError("Option 'rpcUrls' must hold http(s) URLs")
    return list(value)


def _hidden_url(url: str) -> str:
    """An RPC URL as shown to the user: everything after the host, where keys go, hidden."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}"
    has_more = parts.username or parts.path.strip("/") or parts.query or parts.fragment
    return f"{shown}/{REDACTED}" if has_more else shown
