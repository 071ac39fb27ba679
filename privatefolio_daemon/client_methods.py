"""Typed methods of the daemon's RPC, generated from its method table. Do not edit.

Regenerate with: .venv/bin/python scripts/tools/generate_client.py
"""

from collections.abc import Callable
from typing import Any, Literal


class DaemonMethods:
    async def call(self, method: str, *params: Any) -> Any:
        raise NotImplementedError

    async def addPushDevice(self, accountName: str, subscription: dict[str, Any], deviceId: str, userAgent: str | None = None) -> None:
        """Register a browser's push subscription (one with the same endpoint is replaced)."""
        await self.call('addPushDevice', accountName, subscription, deviceId, userAgent)

    async def addTransaction(self, tx: dict[str, Any], accountName: str, groupId: str | None = None) -> str:
        """Add a manual transaction (the transaction comes first); returns its id MANUAL_<n>."""
        result: str = await self.call('addTransaction', tx, accountName, groupId)
        return result

    async def assignTagToAuditLog(self, accountName: str, auditLogId: str, tagName: str) -> None:
        """Tag an audit log, creating the tag by name if needed."""
        await self.call('assignTagToAuditLog', accountName, auditLogId, tagName)

    async def assignTagToTrade(self, accountName: str, tradeId: str, tagName: str) -> None:
        """Tag a trade, creating the tag by name if needed."""
        await self.call('assignTagToTrade', accountName, tradeId, tagName)

    async def assignTagToTransaction(self, accountName: str, transactionId: str, tagName: str) -> None:
        """Tag a transaction, creating the tag by name if needed; "spam" goes on its audit logs"""
        await self.call('assignTagToTransaction', accountName, transactionId, tagName)

    async def cancelTask(self, accountName: str, taskId: int) -> None:
        """Cancel a queued task, or abort a running one."""
        await self.call('cancelTask', accountName, taskId)

    async def computeActiveConnections(self) -> int:
        """How many clients listen to account changes (about the number of open UIs)."""
        result: int = await self.call('computeActiveConnections')
        return result

    async def computeBalances(self, accountName: str, request: dict[str, Any] | None = None, progress: Callable[..., Any] | None = None) -> None:
        """Compute the daily balances and the audit logs' balances, then answer (data-model §5)."""
        await self.call('computeBalances', accountName, request, progress)

    async def computeGenesis(self, accountName: str) -> int:
        """The oldest transaction's timestamp (0 without any), stored as KV ``genesis``."""
        result: int = await self.call('computeGenesis', accountName)
        return result

    async def computeLastTx(self, accountName: str) -> int:
        """The newest transaction's timestamp (0 without any), stored as KV ``lastTx``."""
        result: int = await self.call('computeLastTx', accountName)
        return result

    async def computeNetworth(self, accountName: str, since: float | None = None, progress: Callable[..., Any] | None = None) -> None:
        """Compute the daily net worth from the balances and prices, then answer (data-model §6)."""
        await self.call('computeNetworth', accountName, since, progress)

    async def computePnl(self, accountName: str, since: float | None = None, progress: Callable[..., Any] | None = None) -> None:
        """Compute the daily PnL of the account's stored trades, then answer (data-model §8.3)."""
        await self.call('computePnl', accountName, since, progress)

    async def computeTrades(self, accountName: str, since: float | None = None, progress: Callable[..., Any] | None = None) -> None:
        """Compute the trades and their PnL as "Refresh trades" does, then answer (data-model §8)."""
        await self.call('computeTrades', accountName, since, progress)

    async def countAuditLogs(self, accountName: str, query: str | dict[str, Any] | None = None, params: list[Any] | None = None) -> int:
        """How many audit logs (all, or matching a query or filters; a filter's limit, offset"""
        result: int = await self.call('countAuditLogs', accountName, query, params)
        return result

    async def countChatMessages(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many chat messages (all, or a ``SELECT COUNT(*)`` query's count)."""
        result: int = await self.call('countChatMessages', accountName, query, params)
        return result

    async def countConnections(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many connections."""
        result: int = await self.call('countConnections', accountName, query, params)
        return result

    async def countConversations(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many conversations (all, or a ``SELECT COUNT(…)`` query's count)."""
        result: int = await self.call('countConversations', accountName, query, params)
        return result

    async def countFileImports(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many file imports."""
        result: int = await self.call('countFileImports', accountName, query, params)
        return result

    async def countNotifications(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many notifications (all, or a query's count, e.g. the unread ones)."""
        result: int = await self.call('countNotifications', accountName, query, params)
        return result

    async def countServerFiles(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many server files."""
        result: int = await self.call('countServerFiles', accountName, query, params)
        return result

    async def countServerTasks(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many tasks (or the first column of ``query``'s first row)."""
        result: int = await self.call('countServerTasks', accountName, query, params)
        return result

    async def countTrades(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> int:
        """How many trades (all, or a query's count)."""
        result: int = await self.call('countTrades', accountName, query, params)
        return result

    async def countTransactions(self, accountName: str, query: str | dict[str, Any] | None = None, params: list[Any] | None = None) -> int:
        """How many transactions (all, or matching a query or filters; a filter's limit,"""
        result: int = await self.call('countTransactions', accountName, query, params)
        return result

    async def createAccount(self, accountName: str) -> None:
        """Create an account (a no-op when it exists). A bad name is refused and creates no file."""
        await self.call('createAccount', accountName)

    async def createAndPushNotification(self, accountName: str, title: str, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add an unread notification and push it to the account's devices; returns it with"""
        result: dict[str, Any] = await self.call('createAndPushNotification', accountName, title, text, metadata)
        return result

    async def deleteAccount(self, accountName: str, keepAccount: bool = False) -> None:
        """Delete an account with its data, files and logs (``keepAccount`` resets it instead)."""
        await self.call('deleteAccount', accountName, keepAccount)

    async def deleteChatHistoryByConversation(self, accountName: str, conversationId: str) -> None:
        """Delete every message of a conversation."""
        await self.call('deleteChatHistoryByConversation', accountName, conversationId)

    async def deleteChatMessage(self, accountName: str, id: str) -> None:
        """Delete one chat message (an unknown id deletes nothing and announces nothing)."""
        await self.call('deleteChatMessage', accountName, id)

    async def deleteServerFile(self, accountName: str, fileId: int) -> None:
        """Delete a file and its bytes."""
        await self.call('deleteServerFile', accountName, fileId)

    async def deleteTag(self, accountName: str, id: int) -> None:
        """Delete a tag (the records it was on keep their other tags)."""
        await self.call('deleteTag', accountName, id)

    async def enqueueAutoMerge(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Auto-merge transactions" (EVM rows sharing a tx hash); returns the task id."""
        result: int = await self.call('enqueueAutoMerge', accountName, trigger, groupId)
        return result

    async def enqueueBackup(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'] = 'user') -> dict[str, Any]:
        """Back the account up (task "Backup"); returns the backup's server file when it is done."""
        result: dict[str, Any] = await self.call('enqueueBackup', accountName, trigger)
        return result

    async def enqueueCompactDatabase(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Compact database": rewrite the account's file without the space that deleted"""
        result: int = await self.call('enqueueCompactDatabase', accountName, trigger)
        return result

    async def enqueueDeleteAssetPreferences(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Delete asset preferences" (empties the stored preferences)."""
        result: int = await self.call('enqueueDeleteAssetPreferences', accountName, trigger)
        return result

    async def enqueueDeleteAssetPrices(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Delete asset prices": every stored daily price."""
        result: int = await self.call('enqueueDeleteAssetPrices', accountName, trigger)
        return result

    async def enqueueDeleteBalances(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Delete balances": every row, and the balances written on the audit logs."""
        result: int = await self.call('enqueueDeleteBalances', accountName, trigger)
        return result

    async def enqueueDeleteConnection(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], connectionId: str, onCompletion: Callable[..., Any] | None = None) -> int:
        """Queue "Remove connection #<n>": its data, cursor and secrets go, then the row."""
        result: int = await self.call('enqueueDeleteConnection', accountName, trigger, connectionId, onCompletion)
        return result

    async def enqueueDeleteTransaction(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], transactionId: str, onCompletion: Callable[..., Any] | None = None) -> int:
        """Queue the removal of a transaction with its audit logs and tags; returns the task id."""
        result: int = await self.call('enqueueDeleteTransaction', accountName, trigger, transactionId, onCompletion)
        return result

    async def enqueueDetectSpamTransactions(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Detect spam transactions" (tags them ``spam``); returns the task id."""
        result: int = await self.call('enqueueDetectSpamTransactions', accountName, trigger, groupId)
        return result

    async def enqueueExportAuditLogs(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> dict[str, Any]:
        """Export all audit logs to ``<account>-audit-logs.csv``; returns its ServerFile."""
        result: dict[str, Any] = await self.call('enqueueExportAuditLogs', accountName, trigger)
        return result

    async def enqueueExportChatHistory(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> dict[str, Any]:
        """Export all chat messages to ``<account>-chat-history.csv``; returns its ServerFile."""
        result: dict[str, Any] = await self.call('enqueueExportChatHistory', accountName, trigger)
        return result

    async def enqueueExportTransactions(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> dict[str, Any]:
        """Export all transactions to ``<account>-transactions.csv``; returns its ServerFile."""
        result: dict[str, Any] = await self.call('enqueueExportTransactions', accountName, trigger)
        return result

    async def enqueueFetchPrices(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Fetch asset prices" for every owned or favourite asset."""
        result: int = await self.call('enqueueFetchPrices', accountName, trigger, groupId)
        return result

    async def enqueueImportFile(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], fileId: int, parserContext: dict[str, Any] | None = None, groupId: str | None = None) -> int:
        """Queue the import of an uploaded file; returns the task id."""
        result: int = await self.call('enqueueImportFile', accountName, trigger, fileId, parserContext, groupId)
        return result

    async def enqueueRecomputeBalances(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Recompute balances": every row again, from the first audit log."""
        result: int = await self.call('enqueueRecomputeBalances', accountName, trigger)
        return result

    async def enqueueRecomputeNetworth(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Recompute networth": every row again, from the first balances day."""
        result: int = await self.call('enqueueRecomputeNetworth', accountName, trigger)
        return result

    async def enqueueRecomputeTrades(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Recompute trades": delete every trade, link and PnL row, compute them all."""
        result: int = await self.call('enqueueRecomputeTrades', accountName, trigger)
        return result

    async def enqueueRefetchAssets(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], onlyIfNeeded: bool = False) -> int:
        """Queue "Refetch assets": download the coin list into the cache; returns the task id."""
        result: int = await self.call('enqueueRefetchAssets', accountName, trigger, onlyIfNeeded)
        return result

    async def enqueueRefetchPlatforms(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Refetch platforms" (platforms come from the built-in lists)."""
        result: int = await self.call('enqueueRefetchPlatforms', accountName, trigger)
        return result

    async def enqueueRefreshBalances(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Refresh balances": compute from ``balancesCursor`` up to today."""
        result: int = await self.call('enqueueRefreshBalances', accountName, trigger, groupId)
        return result

    async def enqueueRefreshNetworth(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Refresh networth": compute from ``networthCursor`` on."""
        result: int = await self.call('enqueueRefreshNetworth', accountName, trigger, groupId)
        return result

    async def enqueueRefreshTrades(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], groupId: str | None = None) -> int:
        """Queue "Refresh trades": continue from ``tradesCursor``, then PnL."""
        result: int = await self.call('enqueueRefreshTrades', accountName, trigger, groupId)
        return result

    async def enqueueRemoveFileImport(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], fileImportId: str, onCompletion: Callable[..., Any] | None = None) -> int:
        """Queue the removal of a file import with its audit logs and transactions."""
        result: int = await self.call('enqueueRemoveFileImport', accountName, trigger, fileImportId, onCompletion)
        return result

    async def enqueueResetAllConnections(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> None:
        """Queue a reset of every connection."""
        await self.call('enqueueResetAllConnections', accountName, trigger)

    async def enqueueResetConnection(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], connectionId: str, onCompletion: Callable[..., Any] | None = None) -> int:
        """Queue "Reset connection #<n>": delete its audit logs and transactions, sync afresh."""
        result: int = await self.call('enqueueResetConnection', accountName, trigger, connectionId, onCompletion)
        return result

    async def enqueueRestore(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], serverFile: dict[str, Any], onCompletion: Callable[..., Any] | None = None) -> int:
        """Restore the account from an uploaded backup zip (task "Restore account"); returns the"""
        result: int = await self.call('enqueueRestore', accountName, trigger, serverFile, onCompletion)
        return result

    async def enqueueSleep(self, accountName: str, seconds: float, step: float = 1, wasteCpu: bool = False, onCompletion: Callable[..., Any] | None = None) -> int:
        """A test task "Sleep" that reports progress every ``step`` seconds."""
        result: int = await self.call('enqueueSleep', accountName, seconds, step, wasteCpu, onCompletion)
        return result

    async def enqueueSyncAllConnections(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], debugMode: bool = False) -> None:
        """Queue a sync of every connection."""
        await self.call('enqueueSyncAllConnections', accountName, trigger, debugMode)

    async def enqueueSyncConnection(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect'], connectionId: str, debugMode: bool = False, onCompletion: Callable[..., Any] | None = None, groupId: str | None = None) -> int:
        """Queue "Sync connection #<n>": fetch what is new since the last sync. ``debugMode`` is"""
        result: int = await self.call('enqueueSyncConnection', accountName, trigger, connectionId, debugMode, onCompletion, groupId)
        return result

    async def enqueueVerifyBalances(self, accountName: str, trigger: Literal['system', 'user', 'cron', 'side-effect']) -> int:
        """Queue "Verify balances": EVM wallets' computed balances against the chain; the"""
        result: int = await self.call('enqueueVerifyBalances', accountName, trigger)
        return result

    async def executeSql(self, accountName: str, sql: str, params: list[Any] | None = None) -> list[list[Any]]:
        """Run one statement that reads or changes rows (no schema, PRAGMA or ATTACH); returns"""
        result: list[list[Any]] = await self.call('executeSql', accountName, sql, params)
        return result

    async def findAssets(self, accountName: str, query: str, limit: int = 5, strict: bool = False, searchSet: Literal['all-assets', 'my-assets'] = 'all-assets') -> list[dict[str, Any]]:
        """Search by id, coingeckoId, symbol or contract (and name when not strict)."""
        result: list[dict[str, Any]] = await self.call('findAssets', accountName, query, limit, strict, searchSet)
        return result

    async def findExtensions(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
        """Extensions whose name, id, author or description contain the query (any case)."""
        result: list[dict[str, Any]] = await self.call('findExtensions', query, limit)
        return result

    async def findPlatforms(self, accountName: str, query: str, limit: int = 5, strict: bool = False, searchSet: Literal['coingecko', 'my-platforms'] = 'coingecko') -> list[dict[str, Any]]:
        """Platforms whose id or name contains the query (strict: whose id equals it)."""
        result: list[dict[str, Any]] = await self.call('findPlatforms', accountName, query, limit, strict, searchSet)
        return result

    async def getAccountNames(self) -> list[str]:
        """The account names, oldest first."""
        result: list[str] = await self.call('getAccountNames')
        return result

    async def getAccountPnL(self, accountName: str, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        """Per PnL day, the sum over trades of each one's latest row so far."""
        result: list[dict[str, Any]] = await self.call('getAccountPnL', accountName, start, end)
        return result

    async def getAllPlatforms(self) -> list[dict[str, Any]]:
        """Every known platform: blockchains, then exchanges and apps."""
        result: list[dict[str, Any]] = await self.call('getAllPlatforms')
        return result

    async def getAsset(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One asset; for an asset never held, the best match of the asset lookup, or null."""
        result: dict[str, Any] | None = await self.call('getAsset', accountName, id)
        return result

    async def getAssetPriceMap(self, accountName: str, timestamp: float | None = None) -> dict[str, dict[str, Any]]:
        """``{assetId: price}`` of the UTC day of ``timestamp`` (today by default; tomorrow, which"""
        result: dict[str, dict[str, Any]] = await self.call('getAssetPriceMap', accountName, timestamp)
        return result

    async def getAssetsByPlatform(self, platformId: str) -> list[dict[str, Any]]:
        """Assets of the asset lookup with a token contract on a chain (``chain.ethereum``)."""
        result: list[dict[str, Any]] = await self.call('getAssetsByPlatform', platformId)
        return result

    async def getAuditLog(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One audit log, or null."""
        result: dict[str, Any] | None = await self.call('getAuditLog', accountName, id)
        return result

    async def getAuditLogOrderQuery(self, ascending: bool = False) -> str:
        """The canonical ORDER BY clause of audit logs."""
        result: str = await self.call('getAuditLogOrderQuery', ascending)
        return result

    async def getAuditLogs(self, accountName: str, query: str | dict[str, Any] | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Audit logs, newest first: all, a frontend SQL query's, or those matching filters."""
        result: list[dict[str, Any]] = await self.call('getAuditLogs', accountName, query, params)
        return result

    async def getAuditLogsByTxId(self, accountName: str, txId: str) -> list[dict[str, Any]]:
        """The Privatefolio name of ``getAuditLogsForTransaction``."""
        result: list[dict[str, Any]] = await self.call('getAuditLogsByTxId', accountName, txId)
        return result

    async def getAuditLogsForTransaction(self, accountName: str, txId: str) -> list[dict[str, Any]]:
        """The audit logs of one transaction."""
        result: list[dict[str, Any]] = await self.call('getAuditLogsForTransaction', accountName, txId)
        return result

    async def getBalances(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Daily balance maps ``{assetId: balance, …, timestamp}``, oldest first (or a query's)."""
        result: list[dict[str, Any]] = await self.call('getBalances', accountName, query, params)
        return result

    async def getBalancesAt(self, accountName: str, cursor: float = -1) -> list[dict[str, Any]]:
        """The balances of the day of ``cursor`` (-1: the last computed day), with the day's price"""
        result: list[dict[str, Any]] = await self.call('getBalancesAt', accountName, cursor)
        return result

    async def getBlockchains(self) -> list[dict[str, Any]]:
        """The built-in EVM chains as platforms (with chainId and nativeCoinId)."""
        result: list[dict[str, Any]] = await self.call('getBlockchains')
        return result

    async def getBreakdownChartData(self, accountName: str, interval: Literal['1d', '3d', '1w', '1m'] = '1d') -> list[dict[str, Any]]:
        """Each asset's value per balance day (or per week's Monday, month's 1st, …)."""
        result: list[dict[str, Any]] = await self.call('getBreakdownChartData', accountName, interval)
        return result

    async def getChanges(self, accountName: str, afterSeq: int = 0, limit: int = 500, feedId: str | None = None) -> dict[str, Any]:
        """``{feedId, lastSeq, changes, hasMore, reset?}``: the changes after ``afterSeq``."""
        result: dict[str, Any] = await self.call('getChanges', accountName, afterSeq, limit, feedId)
        return result

    async def getChatHistory(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Chat messages, the newest first (or those of a ``SELECT *`` query)."""
        result: list[dict[str, Any]] = await self.call('getChatHistory', accountName, query, params)
        return result

    async def getChatHistoryByConversation(self, accountName: str, conversationId: str) -> list[dict[str, Any]]:
        """A conversation's messages, the oldest first (by timestamp, then id)."""
        result: list[dict[str, Any]] = await self.call('getChatHistoryByConversation', accountName, conversationId)
        return result

    async def getChatMessage(self, accountName: str, id: str) -> dict[str, Any] | None:
        """The chat message with this id, or null."""
        result: dict[str, Any] | None = await self.call('getChatMessage', accountName, id)
        return result

    async def getChatRoles(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """The distinct roles of the chat messages, ascending (or a query's first column)."""
        result: list[str] = await self.call('getChatRoles', accountName, query, params)
        return result

    async def getConnection(self, accountName: str, connectionId: str) -> dict[str, Any] | None:
        """One connection, or null."""
        result: dict[str, Any] | None = await self.call('getConnection', accountName, connectionId)
        return result

    async def getConnections(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Connections, the newest first. Secrets are never returned (``apiKey`` is masked)."""
        result: list[dict[str, Any]] = await self.call('getConnections', accountName, query, params)
        return result

    async def getConversationIds(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """The distinct conversation ids, ascending (or a query's first column)."""
        result: list[str] = await self.call('getConversationIds', accountName, query, params)
        return result

    async def getConversationSummaries(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """One ``{id, startTime, lastTime, firstMessage}`` per conversation, the latest first."""
        result: list[dict[str, Any]] = await self.call('getConversationSummaries', accountName, query, params)
        return result

    async def getCurrentSystemMetrics(self) -> dict[str, Any]:
        """Health metrics measured now, not stored."""
        result: dict[str, Any] = await self.call('getCurrentSystemMetrics')
        return result

    async def getDiskUsage(self, accountName: str) -> int:
        """The size in bytes of the account's database file."""
        result: int = await self.call('getDiskUsage', accountName)
        return result

    async def getExchanges(self) -> list[dict[str, Any]]:
        """The known exchanges."""
        result: list[dict[str, Any]] = await self.call('getExchanges')
        return result

    async def getExtension(self, id: str) -> dict[str, Any] | None:
        """One extension, or null."""
        result: dict[str, Any] | None = await self.call('getExtension', id)
        return result

    async def getExtensions(self, documentedOnly: bool = False) -> list[dict[str, Any]]:
        """Every extension by name; with ``documentedOnly``, those with a how-to."""
        result: list[dict[str, Any]] = await self.call('getExtensions', documentedOnly)
        return result

    async def getExtensionsByType(self, type: Literal['file-import', 'connection', 'price-api', 'metadata']) -> list[dict[str, Any]]:
        """The extensions of one type: file-import, connection, price-api or metadata."""
        result: list[dict[str, Any]] = await self.call('getExtensionsByType', type)
        return result

    async def getFileImportRequirements(self, accountName: str, fileRecord: dict[str, Any]) -> list[dict[str, Any]] | None:
        """What the import needs (a platform, a user address); null if nothing, or unknown."""
        result: list[dict[str, Any]] | None = await self.call('getFileImportRequirements', accountName, fileRecord)
        return result

    async def getFileImports(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """File imports, the last finished first."""
        result: list[dict[str, Any]] = await self.call('getFileImports', accountName, query, params)
        return result

    async def getHealthStats(self, fromTs: int | None = None, toTs: int | None = None) -> dict[str, Any]:
        """Averages, minimums and maximums of CPU and memory use over a period."""
        result: dict[str, Any] = await self.call('getHealthStats', fromTs, toTs)
        return result

    async def getLivePricesForAsset(self, assetId: str, priceApiId: str | None = None, limit: int = 900, interval: Literal['1d', '3d', '1w', '1m'] = '1d', since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """Prices straight from a provider, not stored (no account needed)."""
        result: list[dict[str, Any]] = await self.call('getLivePricesForAsset', assetId, priceApiId, limit, interval, since, until)
        return result

    async def getMyAssets(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Assets held (with firstOwnedAt) or marked favourite, enriched from the asset lookup."""
        result: list[dict[str, Any]] = await self.call('getMyAssets', accountName, query, params)
        return result

    async def getMyPlatformIds(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """Distinct platforms of the audit logs, ascending."""
        result: list[str] = await self.call('getMyPlatformIds', accountName, query, params)
        return result

    async def getMyPlatforms(self, accountName: str) -> list[dict[str, Any]]:
        """The platforms of the account's audit logs (an unknown id comes back as its own name)."""
        result: list[dict[str, Any]] = await self.call('getMyPlatforms', accountName)
        return result

    async def getNetworth(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Daily net worth ``{timestamp, time, value, change, changePercentage}`` (or a query's)."""
        result: list[dict[str, Any]] = await self.call('getNetworth', accountName, query, params)
        return result

    async def getNetworthCandles(self, accountName: str, interval: Literal['1d', '3d', '1w', '1m'] = '1d') -> list[dict[str, Any]]:
        """Open/high/low/close of the daily net worth per day, 3 days, week or month (UTC)."""
        result: list[dict[str, Any]] = await self.call('getNetworthCandles', accountName, interval)
        return result

    async def getNotifications(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Newest first ``{id, title, text, createdAt (s), status, metadata?}`` (or a query's)."""
        result: list[dict[str, Any]] = await self.call('getNotifications', accountName, query, params)
        return result

    async def getOperations(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """Distinct operations of the audit logs, ascending."""
        result: list[str] = await self.call('getOperations', accountName, query, params)
        return result

    async def getPlatform(self, id: str) -> dict[str, Any] | None:
        """One platform by id, or null."""
        result: dict[str, Any] | None = await self.call('getPlatform', id)
        return result

    async def getPricesForAsset(self, accountName: str, assetId: str, timestamp: float | None = None, start: float | None = None, end: float | None = None) -> list[dict[str, Any]]:
        """Stored daily prices of an asset, oldest first: all, one day, or ``start``..``end``."""
        result: list[dict[str, Any]] = await self.call('getPricesForAsset', accountName, assetId, timestamp, start, end)
        return result

    async def getPushDevices(self, accountName: str) -> list[dict[str, Any]]:
        """The devices notifications are pushed to: ``{createdAt, deviceId, subscription,"""
        result: list[dict[str, Any]] = await self.call('getPushDevices', accountName)
        return result

    async def getRecentChatHistory(self, accountName: str, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ``limit`` chat messages (50 by default), the newest first."""
        result: list[dict[str, Any]] = await self.call('getRecentChatHistory', accountName, limit)
        return result

    async def getServerFile(self, accountName: str, fileId: int) -> dict[str, Any]:
        """One server file."""
        result: dict[str, Any] = await self.call('getServerFile', accountName, fileId)
        return result

    async def getServerFiles(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The account's files, newest first (or the rows of ``query``, read by position)."""
        result: list[dict[str, Any]] = await self.call('getServerFiles', accountName, query, params)
        return result

    async def getServerHealth(self, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Stored health metrics, newest 100 by default (or the rows of ``query``)."""
        result: list[dict[str, Any]] = await self.call('getServerHealth', query, params)
        return result

    async def getServerInfo(self) -> dict[str, Any]:
        """What this daemon is and where it keeps its data."""
        result: dict[str, Any] = await self.call('getServerInfo')
        return result

    async def getServerLogs(self, filters: dict[str, Any] | None = None, rowsPerPage: int = 25, page: int = 0, order: Literal['asc', 'desc'] = 'desc', orderBy: Literal['timestamp', 'level'] = 'timestamp', date: str | None = None) -> list[Any]:
        """``[rows, totalCount]`` of one UTC day's server log (today by default)."""
        result: list[Any] = await self.call('getServerLogs', filters, rowsPerPage, page, order, orderBy, date)
        return result

    async def getServerSettings(self) -> dict[str, Any]:
        """Server settings merged over their defaults (intervals in minutes)."""
        result: dict[str, Any] = await self.call('getServerSettings')
        return result

    async def getServerStats(self) -> dict[str, Any]:
        """Open connections, live subscriptions and callbacks, uptime (s), memory (RSS bytes),"""
        result: dict[str, Any] = await self.call('getServerStats')
        return result

    async def getServerTask(self, accountName: str, taskId: int) -> dict[str, Any] | None:
        """One task, or null."""
        result: dict[str, Any] | None = await self.call('getServerTask', accountName, taskId)
        return result

    async def getServerTaskLog(self, accountName: str, taskId: int) -> str:
        """The task's progress log, cut to its first 50,000 characters."""
        result: str = await self.call('getServerTaskLog', accountName, taskId)
        return result

    async def getServerTasks(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Tasks of the account, newest first (or the rows of ``query``, read by position)."""
        result: list[dict[str, Any]] = await self.call('getServerTasks', accountName, query, params)
        return result

    async def getSettings(self, accountName: str) -> dict[str, Any]:
        """The account settings merged over their defaults (stored on first read)."""
        result: dict[str, Any] = await self.call('getSettings', accountName)
        return result

    async def getSnapshot(self, accountName: str) -> dict[str, Any]:
        """``{feedId, lastSeq, records}``: every synced record with its version, as of lastSeq."""
        result: dict[str, Any] = await self.call('getSnapshot', accountName)
        return result

    async def getSystemInfo(self) -> dict[str, Any] | None:
        """The stored system information, or null before the first refresh."""
        result: dict[str, Any] | None = await self.call('getSystemInfo')
        return result

    async def getTags(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """All tags by id (or the rows of a frontend query: 0 id, 1 name)."""
        result: list[dict[str, Any]] = await self.call('getTags', accountName, query, params)
        return result

    async def getTagsForAuditLog(self, accountName: str, auditLogId: str) -> list[dict[str, Any]]:
        """The tags of an audit log, by id."""
        result: list[dict[str, Any]] = await self.call('getTagsForAuditLog', accountName, auditLogId)
        return result

    async def getTagsForTrade(self, accountName: str, tradeId: str) -> list[dict[str, Any]]:
        """The tags of a trade, by id."""
        result: list[dict[str, Any]] = await self.call('getTagsForTrade', accountName, tradeId)
        return result

    async def getTagsForTransaction(self, accountName: str, transactionId: str) -> list[dict[str, Any]]:
        """The tags of a transaction, by id."""
        result: list[dict[str, Any]] = await self.call('getTagsForTransaction', accountName, transactionId)
        return result

    async def getTaskQueue(self, accountName: str) -> dict[str, Any]:
        """The running task and the queued ones, in the order they will run."""
        result: dict[str, Any] = await self.call('getTaskQueue', accountName)
        return result

    async def getTrade(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One trade, or null."""
        result: dict[str, Any] | None = await self.call('getTrade', accountName, id)
        return result

    async def getTradePnL(self, accountName: str, tradeId: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """A trade's daily PnL rows, oldest first (or a query's)."""
        result: list[dict[str, Any]] = await self.call('getTradePnL', accountName, tradeId, query, params)
        return result

    async def getTrades(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Trades, newest first (or a query's; columns 14 and 15 may list txIds, auditLogIds)."""
        result: list[dict[str, Any]] = await self.call('getTrades', accountName, query, params)
        return result

    async def getTradesFullQuery(self) -> str:
        """The SQL of the trades with their linked transaction and audit-log ids."""
        result: str = await self.call('getTradesFullQuery')
        return result

    async def getTransaction(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One transaction, or null."""
        result: dict[str, Any] | None = await self.call('getTransaction', accountName, id)
        return result

    async def getTransactions(self, accountName: str, query: str | dict[str, Any] | None = None, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Transactions, newest first: all, a frontend SQL query's, or those matching filters."""
        result: list[dict[str, Any]] = await self.call('getTransactions', accountName, query, params)
        return result

    async def getTransactionsByTxHash(self, accountName: str, txHash: str) -> list[dict[str, Any]]:
        """Transactions whose metadata names this blockchain transaction hash."""
        result: list[dict[str, Any]] = await self.call('getTransactionsByTxHash', accountName, txHash)
        return result

    async def getTriggers(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """Distinct triggers of the tasks, ascending (or the first column of query's rows)."""
        result: list[str] = await self.call('getTriggers', accountName, query, params)
        return result

    async def getValue(self, accountName: str, key: str, defaultValue: Any = None) -> Any:
        """A stored value of the account's key-value store, or ``defaultValue``."""
        return await self.call('getValue', accountName, key, defaultValue)

    async def getVapidPublicKey(self) -> str:
        """The daemon's web-push public key, base64url: the ``applicationServerKey`` to"""
        result: str = await self.call('getVapidPublicKey')
        return result

    async def getWallets(self, accountName: str, query: str | None = None, params: list[Any] | None = None) -> list[str]:
        """Distinct wallets of the audit logs, ascending."""
        result: list[str] = await self.call('getWallets', accountName, query, params)
        return result

    async def logUiError(self, message: str, properties: dict[str, Any] | None = None) -> None:
        """Write an error the frontend met into the server log."""
        await self.call('logUiError', message, properties)

    async def monitorServerHealth(self) -> dict[str, Any]:
        """Measure and store health metrics now, and the system information if there is none."""
        result: dict[str, Any] = await self.call('monitorServerHealth')
        return result

    async def patchAsset(self, accountName: str, id: str, patch: dict[str, Any]) -> None:
        """Change stored preferences: favorite, priceApiId (null clears), name, logoUrl…"""
        await self.call('patchAsset', accountName, id, patch)

    async def patchChatMessage(self, accountName: str, id: str, patch: dict[str, Any]) -> None:
        """Change fields of a chat message (null tokens, metadata or parts clears them)."""
        await self.call('patchChatMessage', accountName, id, patch)

    async def patchNotification(self, accountName: str, id: int, patch: dict[str, Any]) -> None:
        """Change one notification: status 0 unread, 1 read, 2 archived; title, text, metadata."""
        await self.call('patchNotification', accountName, id, patch)

    async def patchNotifications(self, accountName: str, ids: list[int], patch: dict[str, Any]) -> None:
        """The same change on several notifications (marking all read, say)."""
        await self.call('patchNotifications', accountName, ids, patch)

    async def patchTransaction(self, accountName: str, id: str, patch: dict[str, Any]) -> None:
        """Change fields of a transaction (notes, say). A manual transaction's changed amounts,"""
        await self.call('patchTransaction', accountName, id, patch)

    async def ping(self) -> str:
        """Answer "pong": a cheap call for liveness and latency checks."""
        result: str = await self.call('ping')
        return result

    async def queryServerLogs(self, filters: dict[str, Any] | None = None, rowsPerPage: int = 25, page: int = 0, order: Literal['asc', 'desc'] = 'desc', orderBy: Literal['timestamp', 'level'] = 'timestamp', date: str | None = None) -> list[Any]:
        """The Privatefolio name of ``getServerLogs``."""
        result: list[Any] = await self.call('queryServerLogs', filters, rowsPerPage, page, order, orderBy, date)
        return result

    async def readSql(self, accountName: str, sql: str, params: list[Any] | None = None) -> list[list[Any]]:
        """The rows of a reading statement, as arrays (read-only connection, time budget)."""
        result: list[list[Any]] = await self.call('readSql', accountName, sql, params)
        return result

    async def refreshSystemInfo(self) -> dict[str, Any]:
        """Measure and store the system information."""
        result: dict[str, Any] = await self.call('refreshSystemInfo')
        return result

    async def removePushDevice(self, accountName: str, endpoint: str) -> None:
        """Stop pushing to the device with this endpoint."""
        await self.call('removePushDevice', accountName, endpoint)

    async def removeTagFromAuditLog(self, accountName: str, auditLogId: str, tagId: int) -> None:
        """Untag an audit log."""
        await self.call('removeTagFromAuditLog', accountName, auditLogId, tagId)

    async def removeTagFromTrade(self, accountName: str, tradeId: str, tagId: int) -> None:
        """Untag a trade."""
        await self.call('removeTagFromTrade', accountName, tradeId, tagId)

    async def removeTagFromTransaction(self, accountName: str, transactionId: str, tagId: int) -> None:
        """Untag a transaction; "spam" comes off its audit logs too."""
        await self.call('removeTagFromTransaction', accountName, transactionId, tagId)

    async def renameAccount(self, accountName: str, newName: str) -> None:
        """Rename an account, moving its database, files and logs."""
        await self.call('renameAccount', accountName, newName)

    async def resetAccount(self, accountName: str) -> None:
        """Empty an account: all its data, files and logs go; the account stays."""
        await self.call('resetAccount', accountName)

    async def rpc_discover(self) -> dict[str, Any]:
        """The OpenRPC document of every method this server offers."""
        result: dict[str, Any] = await self.call('rpc.discover')
        return result

    async def setEncryptedValue(self, accountName: str, key: str, plaintext: str | None = None) -> None:
        """Store ``plaintext`` encrypted (AES-256-GCM, ``ivB64:tagB64:dataB64``); empty → null."""
        await self.call('setEncryptedValue', accountName, key, plaintext)

    async def setValue(self, accountName: str, key: str, value: Any) -> None:
        """Store a value; listeners of ``key-value`` get ``(key, value)``."""
        await self.call('setValue', accountName, key, value)

    async def submitEvents(self, accountName: str, events: list[Any], options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Apply sync events in order; one result each (docs/sync.md)."""
        result: list[dict[str, Any]] = await self.call('submitEvents', accountName, events, options)
        return result

    async def subscribeToAccounts(self, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, accountName)`` when an account is created, deleted or reset."""
        result: str = await self.call('subscribeToAccounts', callback)
        return result

    async def subscribeToAuditLogs(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, oldestTimestamp, groupId)`` on every change of audit-logs."""
        result: str = await self.call('subscribeToAuditLogs', accountName, callback)
        return result

    async def subscribeToBalances(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every change of balances."""
        result: str = await self.call('subscribeToBalances', accountName, callback)
        return result

    async def subscribeToChanges(self, accountName: str, afterSeq: int, callback: Callable[..., Any], feedId: str | None = None) -> str:
        """Deliver the changes after ``afterSeq``, then every new one, each once and in order."""
        result: str = await self.call('subscribeToChanges', accountName, afterSeq, callback, feedId)
        return result

    async def subscribeToChatHistory(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause)`` on every change of chat-history."""
        result: str = await self.call('subscribeToChatHistory', accountName, callback)
        return result

    async def subscribeToConnections(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, connection)`` on every change of connections."""
        result: str = await self.call('subscribeToConnections', accountName, callback)
        return result

    async def subscribeToDailyPrices(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every change of daily-prices."""
        result: str = await self.call('subscribeToDailyPrices', accountName, callback)
        return result

    async def subscribeToFileImports(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, fileImport)`` on every change of file-imports."""
        result: str = await self.call('subscribeToFileImports', accountName, callback)
        return result

    async def subscribeToKV(self, accountName: str, key: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(value)`` whenever ``key`` is written."""
        result: str = await self.call('subscribeToKV', accountName, key, callback)
        return result

    async def subscribeToMetadata(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every change of metadata."""
        result: str = await self.call('subscribeToMetadata', accountName, callback)
        return result

    async def subscribeToNetworth(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every change of networth."""
        result: str = await self.call('subscribeToNetworth', accountName, callback)
        return result

    async def subscribeToNotifications(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause)`` on every change of notifications."""
        result: str = await self.call('subscribeToNotifications', accountName, callback)
        return result

    async def subscribeToPnl(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause)`` on every change of trade-pnl."""
        result: str = await self.call('subscribeToPnl', accountName, callback)
        return result

    async def subscribeToServerFiles(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every change of server-files."""
        result: str = await self.call('subscribeToServerFiles', accountName, callback)
        return result

    async def subscribeToServerHealth(self, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every server-health event."""
        result: str = await self.call('subscribeToServerHealth', callback)
        return result

    async def subscribeToServerKV(self, callback: Callable[..., Any]) -> str:
        """Call ``callback(key, value)`` on every server-key-value event."""
        result: str = await self.call('subscribeToServerKV', callback)
        return result

    async def subscribeToServerLog(self, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every server-logs event."""
        result: str = await self.call('subscribeToServerLog', callback)
        return result

    async def subscribeToServerLogs(self, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` on every server-logs event."""
        result: str = await self.call('subscribeToServerLogs', callback)
        return result

    async def subscribeToServerSettings(self, callback: Callable[..., Any]) -> str:
        """Call ``callback(settings)`` on every server-settings event."""
        result: str = await self.call('subscribeToServerSettings', callback)
        return result

    async def subscribeToServerTaskProgress(self, accountName: str, taskId: int, callback: Callable[..., Any]) -> str:
        """Call ``callback(logLine)`` for each progress line of one task."""
        result: str = await self.call('subscribeToServerTaskProgress', accountName, taskId, callback)
        return result

    async def subscribeToServerTasks(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback()`` whenever a task of the account is queued, starts or ends."""
        result: str = await self.call('subscribeToServerTasks', accountName, callback)
        return result

    async def subscribeToSettings(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(settings)`` after every settings change."""
        result: str = await self.call('subscribeToSettings', accountName, callback)
        return result

    async def subscribeToTags(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause)`` on every change of tags."""
        result: str = await self.call('subscribeToTags', accountName, callback)
        return result

    async def subscribeToTrades(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, tradeId)`` on every change of trades."""
        result: str = await self.call('subscribeToTrades', accountName, callback)
        return result

    async def subscribeToTransactions(self, accountName: str, callback: Callable[..., Any]) -> str:
        """Call ``callback(cause, transactionId)`` on every change of transactions."""
        result: str = await self.call('subscribeToTransactions', accountName, callback)
        return result

    async def throwTestError(self) -> None:
        """Always fails with "This is a test error"."""
        await self.call('throwTestError')

    async def unsubscribe(self, subscriptionId: str, throwOnError: bool = True) -> None:
        """Release a subscription made on this connection."""
        await self.call('unsubscribe', subscriptionId, throwOnError)

    async def updateServerSettings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Merge ``settings`` into the server settings and return the result."""
        result: dict[str, Any] = await self.call('updateServerSettings', settings)
        return result

    async def updateSettings(self, accountName: str, settings: dict[str, Any]) -> dict[str, Any]:
        """Merge ``settings`` into the account settings and return the result."""
        result: dict[str, Any] = await self.call('updateSettings', accountName, settings)
        return result

    async def updateTag(self, accountName: str, id: int, name: str) -> None:
        """Rename a tag."""
        await self.call('updateTag', accountName, id, name)

    async def updateTransaction(self, accountName: str, id: str, tx: dict[str, Any]) -> None:
        """Replace a manual transaction and its audit logs, keeping its id."""
        await self.call('updateTransaction', accountName, id, tx)

    async def upsertAsset(self, accountName: str, asset: dict[str, Any]) -> None:
        """Store an asset's preferences (replacing what was stored)."""
        await self.call('upsertAsset', accountName, asset)

    async def upsertChatMessage(self, accountName: str, record: dict[str, Any]) -> str:
        """Save one chat message (INSERT OR REPLACE by id); returns its id (a new UUID if none)."""
        result: str = await self.call('upsertChatMessage', accountName, record)
        return result

    async def upsertChatMessages(self, accountName: str, records: list[dict[str, Any]]) -> list[str]:
        """Save chat messages (INSERT OR REPLACE by id, all or none); returns their ids."""
        result: list[str] = await self.call('upsertChatMessages', accountName, records)
        return result

    async def upsertConnection(self, accountName: str, connection: dict[str, Any]) -> dict[str, Any]:
        """``upsertConnections`` of one connection."""
        result: dict[str, Any] = await self.call('upsertConnection', accountName, connection)
        return result

    async def upsertConnections(self, accountName: str, connections: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or replace connections (secrets encrypted at rest); each syncs from scratch."""
        result: list[dict[str, Any]] = await self.call('upsertConnections', accountName, connections)
        return result

    async def upsertServerFile(self, accountName: str, file: dict[str, Any]) -> dict[str, Any]:
        """Register a file (then POST its bytes to /upload with accountName and fileId)."""
        result: dict[str, Any] = await self.call('upsertServerFile', accountName, file)
        return result

    async def upsertTag(self, accountName: str, name: str) -> dict[str, Any]:
        """The tag with this name, created if needed."""
        result: dict[str, Any] = await self.call('upsertTag', accountName, name)
        return result

    async def upsertTags(self, accountName: str, names: list[str]) -> list[dict[str, Any]]:
        """The tags with these names, created as needed."""
        result: list[dict[str, Any]] = await self.call('upsertTags', accountName, names)
        return result
