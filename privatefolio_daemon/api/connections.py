"""Connection methods (rpc-methods §5.13), "Verify balances", and ``setEncryptedValue``."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from privatefolio_daemon.api.client_queries import FrontendTable, map_rows
from privatefolio_daemon.api.compaction import compact_if_worthwhile
from privatefolio_daemon.domain.compaction import Compaction
from privatefolio_daemon.domain.connection_sync import ConnectionSync
from privatefolio_daemon.domain.connections import Connections, NewConnection
from privatefolio_daemon.domain.key_value import KeyValueStore
from privatefolio_daemon.domain.secrets import SecretBox
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, rpc_method
from privatefolio_daemon.store.connections import connection_to_wire
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through

CONNECTIONS = FrontendTable(
    "SELECT * FROM connections ORDER BY timestamp DESC",
    "SELECT COUNT(*) FROM connections",
)


@dataclass(frozen=True, slots=True)
class _Clearing:
    """A task that removes a connection's data: a reset keeps the connection, a removal not."""

    verb: str
    doing: str
    priority: Priority
    clear: Callable[[Connections, str, CancelToken], Awaitable[tuple[dict[str, Any], int, int]]]
    compacts: bool
    """Whether the space the data leaves may be given back (a reset syncs it again)."""


_RESET = _Clearing("Reset", "Resetting", Priority.VERY_HIGH, Connections.reset, compacts=False)
_REMOVE = _Clearing("Remove", "Removing", Priority.HIGHEST, Connections.delete, compacts=True)


class ConnectionsApi:
    def __init__(
        self,
        connections_of: Callable[[str], Connections],
        sync_of: Callable[[str], ConnectionSync],
        key_values_of: Callable[[str], KeyValueStore],
        db_of: Callable[[str], Database],
        relayer: Relayer,
        box: SecretBox,
        budget_seconds: float,
        compaction_of: Callable[[str], Compaction],
    ) -> None:
        self._connections_of = connections_of
        self._compaction_of = compaction_of
        self._sync_of = sync_of
        self._key_values_of = key_values_of
        self._db_of = db_of
        self._relayer = relayer
        self._box = box
        self._budget = budget_seconds

    @rpc_method()
    async def getConnections(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Connections, the newest first. Secrets are never returned (``apiKey`` is masked)."""
        rows = await CONNECTIONS.rows(self._db_of(accountName), query, params, self._budget)
        return await map_rows(rows, connection_to_wire, query)

    @rpc_method()
    async def countConnections(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> int:
        """How many connections."""
        return await CONNECTIONS.count(self._db_of(accountName), query, params, self._budget)

    @rpc_method()
    async def getConnection(self, accountName: str, connectionId: str) -> dict[str, Any] | None:
        """One connection, or null."""
        return await self._connections_of(accountName).get(connectionId)

    @rpc_method()
    async def upsertConnections(
        self, accountName: str, connections: list[NewConnection]
    ) -> list[dict[str, Any]]:
        """Create or replace connections (secrets encrypted at rest); each syncs from scratch."""
        return await self._connections_of(accountName).upsert(connections)

    @rpc_method()
    async def upsertConnection(self, accountName: str, connection: NewConnection) -> dict[str, Any]:
        """``upsertConnections`` of one connection."""
        return (await self._connections_of(accountName).upsert([connection]))[0]

    @rpc_method()
    async def enqueueSyncConnection(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        connectionId: str,
        debugMode: bool = False,
        onCompletion: RemoteFunction | None = None,
        groupId: str | None = None,
    ) -> int:
        """Queue "Sync connection #<n>": fetch what is new since the last sync. ``debugMode`` is
        accepted for compatibility and changes nothing."""
        record = await self._connections_of(accountName).require(connectionId)
        sync = self._sync_of(accountName)
        ctx.keep_until_called(onCompletion)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await sync.sync(connectionId, groupId, progress, cancel)

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=f"Sync connection #{record['connectionNumber']}",
                description=f"Sync the connection {connectionId} ({record['platformId']})",
                priority=Priority.HIGH,
                function=run,
                trigger=trigger,
                determinate=True,
                group_id=groupId,
                on_completion=onCompletion,
            ),
        )

    @rpc_method()
    async def enqueueSyncAllConnections(
        self, ctx: CallContext, accountName: str, trigger: Trigger, debugMode: bool = False
    ) -> None:
        """Queue a sync of every connection."""
        for record in await self._connections_of(accountName).all():
            await self.enqueueSyncConnection(ctx, accountName, trigger, record["id"], debugMode)

    @rpc_method()
    async def enqueueResetConnection(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        connectionId: str,
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """Queue "Reset connection #<n>": delete its audit logs and transactions, sync afresh."""
        return await self._enqueue_clearing(
            _RESET, ctx, accountName, trigger, connectionId, onCompletion
        )

    @rpc_method()
    async def enqueueResetAllConnections(
        self, ctx: CallContext, accountName: str, trigger: Trigger
    ) -> None:
        """Queue a reset of every connection."""
        for record in await self._connections_of(accountName).all():
            await self.enqueueResetConnection(ctx, accountName, trigger, record["id"])

    @rpc_method()
    async def enqueueDeleteConnection(
        self,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        connectionId: str,
        onCompletion: RemoteFunction | None = None,
    ) -> int:
        """Queue "Remove connection #<n>": its data, cursor and secrets go, then the row."""
        return await self._enqueue_clearing(
            _REMOVE, ctx, accountName, trigger, connectionId, onCompletion
        )

    async def _enqueue_clearing(
        self,
        clearing: _Clearing,
        ctx: CallContext,
        accountName: str,
        trigger: Trigger,
        connectionId: str,
        onCompletion: RemoteFunction | None,
    ) -> int:
        connections = self._connections_of(accountName)
        record = await connections.require(connectionId)
        number = record["connectionNumber"]
        ctx.keep_until_called(onCompletion)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            progress(0, f"{clearing.doing} connection #{number}")
            _, logs, transactions = await clearing.clear(connections, connectionId, cancel)
            progress(100, f"Removed {logs} audit logs and {transactions} transactions")
            if clearing.compacts:
                # Removed and committed: a cancel from here on changes nothing, the task completes.
                compaction = self._compaction_of(accountName)
                await seen_through(compact_if_worthwhile(self._relayer, accountName, compaction))

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=f"{clearing.verb} connection #{number}",
                description=f"{clearing.verb} the connection {connectionId}",
                priority=clearing.priority,
                function=run,
                trigger=trigger,
                determinate=True,
                on_completion=onCompletion,
            ),
        )

    @rpc_method()
    async def enqueueVerifyBalances(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Verify balances": EVM wallets' computed balances against the chain; the
        differences per asset go to the task's progress lines."""
        sync = self._sync_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await sync.verify_balances(progress, cancel)

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name="Verify balances",
                description="Compare the computed balances of EVM wallets with the chain",
                priority=Priority.LOW,
                function=run,
                trigger=trigger,
            ),
        )

    @rpc_method()
    async def setEncryptedValue(
        self, accountName: str, key: str, plaintext: str | None = None
    ) -> None:
        """Store ``plaintext`` encrypted (AES-256-GCM, ``ivB64:tagB64:dataB64``); empty → null."""
        value = self._box.encrypt(plaintext) if plaintext else None
        await self._key_values_of(accountName).set(key, value)
