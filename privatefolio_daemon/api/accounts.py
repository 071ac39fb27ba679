"""Accounts, key-value and settings methods."""

from typing import Any

from privatefolio_daemon.api.subscriptions import subscribe
from privatefolio_daemon.domain.account_settings import AccountSettings
from privatefolio_daemon.domain.accounts import AccountRegistry, shown_name
from privatefolio_daemon.domain.errors import BusyError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.key_value import KeyValueStore
from privatefolio_daemon.domain.value_bounds import check_key
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, rpc_method


class AccountsApi:
    def __init__(self, accounts: AccountRegistry, events: EventBus, relayer: Relayer) -> None:
        self._accounts = accounts
        self._events = events
        self._relayer = relayer

    def _kv(self, accountName: str) -> KeyValueStore:
        return KeyValueStore(self._accounts.get(accountName), self._events, accountName)

    @rpc_method()
    async def getAccountNames(self) -> list[str]:
        """The account names, oldest first."""
        return self._accounts.names()

    @rpc_method()
    async def createAccount(self, accountName: str) -> None:
        """Create an account (a no-op when it exists). A bad name is refused and creates no file."""
        await self._accounts.create(accountName)

    @rpc_method()
    async def deleteAccount(self, accountName: str, keepAccount: bool = False) -> None:
        """Delete an account with its data, files and logs (``keepAccount`` resets it instead)."""
        if keepAccount:
            await self._accounts.reset(accountName)
        else:
            await self._accounts.delete(accountName)

    @rpc_method()
    async def resetAccount(self, accountName: str) -> None:
        """Empty an account: all its data, files and logs go; the account stays."""
        await self._accounts.reset(accountName)

    @rpc_method()
    async def renameAccount(self, accountName: str, newName: str) -> None:
        """Rename an account, moving its database, files and logs.

        Refused (-32004) while work the rename would cut off is unfinished: a task a user started,
        or the merge and spam passes after a change. Renaming to its own name changes nothing.
        From that check until the files have moved, a task a user queues is refused, and calls on
        either name are told to wait (-32004); ``getAccountNames`` lists the old one."""
        self._accounts.get(accountName)
        if newName == accountName:
            return
        moving = f"Account {shown_name(accountName)} is being renamed to {shown_name(newName)}"
        async with self._relayer.refusing_user_tasks(
            accountName, f"{moving}; try again in a moment"
        ):
            unfinished = self._relayer.unfinished_work(accountName)
            if unfinished is not None:
                raise BusyError(
                    f'Account "{accountName}" cannot be renamed while {unfinished}; rename it '
                    "once its tasks have ended, or cancel them."
                )
            await self._accounts.rename(accountName, newName)

    @rpc_method()
    async def subscribeToAccounts(self, ctx: CallContext, callback: RemoteFunction) -> str:
        """Call ``callback(cause, accountName)`` when an account is created, deleted or reset."""
        return subscribe(ctx, self._events, "accounts", callback)

    @rpc_method()
    async def computeActiveConnections(self) -> int:
        """How many clients listen to account changes (about the number of open UIs)."""
        return self._events.listener_count("accounts")

    @rpc_method()
    async def getDiskUsage(self, accountName: str) -> int:
        """The size in bytes of the account's database file."""
        self._accounts.get(accountName)
        path = self._accounts.db_path(accountName)
        return sum(
            candidate.stat().st_size
            for candidate in (path, path.with_name(f"{path.name}-wal"))
            if candidate.exists()
        )

    @rpc_method()
    async def getValue(self, accountName: str, key: str, defaultValue: Any = None) -> Any:
        """A stored value of the account's key-value store, or ``defaultValue``."""
        return await self._kv(accountName).get(key, defaultValue)

    @rpc_method()
    async def setValue(self, accountName: str, key: str, value: Any) -> None:
        """Store a value; listeners of ``key-value`` get ``(key, value)``.

        ``settings`` is the whole settings record: a JSON object whose settings are checked as
        ``updateSettings`` checks them."""
        await self._kv(accountName).set(key, value)

    @rpc_method()
    async def subscribeToKV(
        self, ctx: CallContext, accountName: str, key: str, callback: RemoteFunction
    ) -> str:
        """Call ``callback(value)`` whenever ``key`` is written."""
        self._accounts.get(accountName)
        check_key(key)

        def on_change(changed_key: str, value: Any) -> None:
            if changed_key == key:
                callback(value)

        return subscribe(
            ctx, self._events, "key-value", callback, account=accountName, listener=on_change
        )

    @rpc_method()
    async def getSettings(self, accountName: str) -> dict[str, Any]:
        """The account settings merged over their defaults (stored on first read)."""
        return await AccountSettings(self._kv(accountName)).get()

    @rpc_method()
    async def updateSettings(self, accountName: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Merge ``settings`` into the account settings and return the result.

        The intervals (``networthRefreshInterval``, ``metadataRefreshInterval``) are whole
        minutes from 1 to 5256000 (ten years); ``backupInterval`` too, or 0 for no scheduled
        backups."""
        return await AccountSettings(self._kv(accountName)).update(settings)

    @rpc_method()
    async def subscribeToSettings(
        self, ctx: CallContext, accountName: str, callback: RemoteFunction
    ) -> str:
        """Call ``callback(settings)`` after every settings change."""
        self._accounts.get(accountName)
        return subscribe(ctx, self._events, "settings", callback, account=accountName)
