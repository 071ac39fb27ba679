"""``subscribeTo<Channel>`` for every change channel, generated from one table."""

from collections.abc import Awaitable, Callable

from privatefolio_daemon.api.subscriptions import subscribe
from privatefolio_daemon.domain.accounts import AccountRegistry
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.rpc.callbacks import RemoteFunction
from privatefolio_daemon.rpc.registry import CallContext, MethodTable

#: Method name → (channel, what the callback receives). Names follow the Privatefolio frontend.
ACCOUNT_SUBSCRIPTIONS = {
    "subscribeToAuditLogs": ("audit-logs", "(cause, oldestTimestamp, groupId)"),
    "subscribeToTransactions": ("transactions", "(cause, transactionId)"),
    "subscribeToBalances": ("balances", "()"),
    "subscribeToNetworth": ("networth", "()"),
    "subscribeToDailyPrices": ("daily-prices", "()"),
    "subscribeToFileImports": ("file-imports", "(cause, fileImport)"),
    "subscribeToConnections": ("connections", "(cause, connection)"),
    "subscribeToMetadata": ("metadata", "()"),
    "subscribeToTags": ("tags", "(cause)"),
    "subscribeToTrades": ("trades", "(cause, tradeId)"),
    "subscribeToPnl": ("trade-pnl", "(cause)"),
    "subscribeToServerFiles": ("server-files", "()"),
    "subscribeToChatHistory": ("chat-history", "(cause)"),
    "subscribeToNotifications": ("notifications", "(cause)"),
}

APP_SUBSCRIPTIONS = {
    "subscribeToServerLog": ("server-logs", "()"),
    "subscribeToServerLogs": ("server-logs", "()"),
    "subscribeToServerHealth": ("server-health", "()"),
    "subscribeToServerSettings": ("server-settings", "(settings)"),
    "subscribeToServerKV": ("server-key-value", "(key, value)"),
}


def add_channel_subscriptions(
    table: MethodTable, accounts: AccountRegistry, events: EventBus
) -> None:
    for name, (channel, arguments) in ACCOUNT_SUBSCRIPTIONS.items():
        table.add(_account_subscriber(accounts, events, channel, arguments), name)
    for name, (channel, arguments) in APP_SUBSCRIPTIONS.items():
        table.add(_app_subscriber(events, channel, arguments), name)


def _account_subscriber(
    accounts: AccountRegistry, events: EventBus, channel: str, arguments: str
) -> Callable[[CallContext, str, RemoteFunction], Awaitable[str]]:
    async def subscriber(ctx: CallContext, accountName: str, callback: RemoteFunction) -> str:
        accounts.get(accountName)
        return subscribe(ctx, events, channel, callback, account=accountName)

    subscriber.__doc__ = f"Call ``callback{arguments}`` on every change of {channel}."
    return subscriber


def _app_subscriber(
    events: EventBus, channel: str, arguments: str
) -> Callable[[CallContext, RemoteFunction], Awaitable[str]]:
    async def subscriber(ctx: CallContext, callback: RemoteFunction) -> str:
        return subscribe(ctx, events, channel, callback)

    subscriber.__doc__ = f"Call ``callback{arguments}`` on every {channel} event."
    return subscriber
