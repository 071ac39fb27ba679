"""What a kiosk guest may call: what a public, read-only display of the portfolio shows.

A guest is a client without credentials while an account's ``kioskMode`` is on. Privatefolio
lets it call every method whose name starts with read, get, count or subscribe, which takes in
the server log, task logs, push devices, the assistant's conversations, connections (with their
API keys), system details, the sync feed and any key-value entry. Here the methods are listed by
what the display shows; a SQL query a guest sends may read the display's tables only, and
``getValue`` and ``subscribeToKV`` the display's keys only. Anything else is refused with
``GUEST_REFUSAL``, as a method that writes is (decision 0020).
"""

from collections.abc import Callable, Mapping
from typing import Any

from privatefolio_daemon.rpc.guest_access import GuestAccess
from privatefolio_daemon.store.client_sql import tables_read_by
from privatefolio_daemon.store.database import Database

#: The methods a guest may call, by what the display shows with them.
DISPLAY_METHODS: dict[str, tuple[str, ...]] = {
    "accounts": ("getAccountNames", "subscribeToAccounts"),
    "audit logs": (
        "getAuditLogs",
        "countAuditLogs",
        "getAuditLog",
        "getAuditLogsByTxId",
        "getAuditLogsForTransaction",
        "getAuditLogOrderQuery",
        "getWallets",
        "getOperations",
        "getMyPlatformIds",
        "subscribeToAuditLogs",
    ),
    "transactions": (
        "getTransactions",
        "countTransactions",
        "getTransaction",
        "getTransactionsByTxHash",
        "subscribeToTransactions",
    ),
    "balances and net worth": (
        "getBalances",
        "getBalancesAt",
        "subscribeToBalances",
        "getNetworth",
        "getNetworthCandles",
        "getBreakdownChartData",
        "subscribeToNetworth",
    ),
    "trades": (
        "getTrades",
        "countTrades",
        "getTrade",
        "getTradesFullQuery",
        "getTradePnL",
        "getAccountPnL",
        "subscribeToTrades",
        "subscribeToPnl",
    ),
    "prices": (
        "getAssetPriceMap",
        "getPricesForAsset",
        "getLivePricesForAsset",
        "subscribeToDailyPrices",
    ),
    "assets, platforms and extensions": (
        "getMyAssets",
        "getAsset",
        "getAssetsByPlatform",
        "subscribeToMetadata",
        "getAllPlatforms",
        "getBlockchains",
        "getExchanges",
        "getPlatform",
        "getMyPlatforms",
        "getExtensions",
        "getExtension",
        "getExtensionsByType",
    ),
    "tags": (
        "getTags",
        "getTagsForAuditLog",
        "getTagsForTransaction",
        "getTagsForTrade",
        "subscribeToTags",
    ),
    "file imports": ("getFileImports", "countFileImports", "subscribeToFileImports"),
    "settings": ("getSettings", "subscribeToSettings", "getValue", "subscribeToKV"),
}

#: The key-value entries the display reads: the wallets' labels and the ledger's time span.
DISPLAY_KEYS = frozenset({"address_book", "genesis", "lastTx"})

#: What a guest's SQL may read: the ledger, what is derived from it, and its tags and imports.
DISPLAY_TABLES = frozenset(
    {
        "audit_logs",
        "transactions",
        "balances",
        "wallet_balances",
        "networth",
        "daily_prices",
        "assets",
        "favorite_assets",
        "tags",
        "audit_log_tags",
        "transaction_tags",
        "trade_tags",
        "trades",
        "trade_audit_logs",
        "trade_transactions",
        "trade_pnl",
        "file_imports",
    }
)

_KEYED = frozenset({"getValue", "subscribeToKV"})


def guest_access(db_of: Callable[[str], Database], budget_seconds: float) -> GuestAccess:
    """The guests' access, whose SQL is checked against the account's database ``db_of``."""

    async def check_arguments(method: str, arguments: Mapping[str, Any]) -> bool:
        if method in _KEYED:
            return arguments.get("key") in DISPLAY_KEYS
        query = arguments.get("query")
        if not isinstance(query, str) or not query:
            return True  # the method's own query, or filters it turns into one
        account = arguments.get("accountName")
        if not isinstance(account, str):
            return False
        sql, params = query, list(arguments.get("params") or [])
        read = await db_of(account).read_client(
            lambda connection: tables_read_by(connection, sql, params),
            wait_seconds=budget_seconds,
        )
        return read <= DISPLAY_TABLES

    methods = (name for names in DISPLAY_METHODS.values() for name in names)
    return GuestAccess(methods, check_arguments)
