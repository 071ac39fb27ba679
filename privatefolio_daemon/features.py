"""Everything beyond the daemon's core: the ledger, derived data, connections and backups.

The core (accounts, tasks, the server) starts first and answers ``/ping``; this module, whose
imports weigh about a third of the start-up, is imported on a thread once the server listens, and
then adds its RPC methods and derived-data steps to the daemon.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from privatefolio_daemon import __version__
from privatefolio_daemon.api.assets import AssetsApi
from privatefolio_daemon.api.backup import build_backup_api
from privatefolio_daemon.api.balances import BalancesApi
from privatefolio_daemon.api.chat_history import ChatHistoryApi
from privatefolio_daemon.api.compaction import CompactionApi, compact_if_owed
from privatefolio_daemon.api.compute import ComputeApi
from privatefolio_daemon.api.connections import ConnectionsApi
from privatefolio_daemon.api.exports import ExportsApi
from privatefolio_daemon.api.extensions import ExtensionsApi
from privatefolio_daemon.api.file_imports import FileImportsApi
from privatefolio_daemon.api.ledger import LedgerApi
from privatefolio_daemon.api.networth import NetworthApi
from privatefolio_daemon.api.notifications import NotificationsApi
from privatefolio_daemon.api.platforms import PlatformsApi
from privatefolio_daemon.api.prices import PricesApi
from privatefolio_daemon.api.raw_sql import RawSqlApi
from privatefolio_daemon.api.sync import SyncApi, check_event_data
from privatefolio_daemon.api.tags import TagsApi
from privatefolio_daemon.api.trades import TradesApi
from privatefolio_daemon.api.transactions import TransactionsApi
from privatefolio_daemon.domain.account_settings import AccountSettings
from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.assets import Assets
from privatefolio_daemon.domain.change_feed import ChangeFeed
from privatefolio_daemon.domain.chat_history import ChatHistory
from privatefolio_daemon.domain.compaction import Compaction, CompactionThresholds
from privatefolio_daemon.domain.connection_sources import ConnectionSources
from privatefolio_daemon.domain.connection_sync import ConnectionSync
from privatefolio_daemon.domain.connections import Connections
from privatefolio_daemon.domain.derived_data import DerivedData
from privatefolio_daemon.domain.derived_steps import (
    DETECT_SPAM,
    REFRESH_TRADES,
    Cancel,
    Progress,
)
from privatefolio_daemon.domain.errors import BusyError
from privatefolio_daemon.domain.events import ACCOUNT_CREATED, LISTINGS_CHANGED
from privatefolio_daemon.domain.exports import Exports
from privatefolio_daemon.domain.extensions import ExtensionCatalog
from privatefolio_daemon.domain.file_imports import FileImports
from privatefolio_daemon.domain.key_value import KeyValueStore
from privatefolio_daemon.domain.ledger_steps import LedgerSteps
from privatefolio_daemon.domain.live_prices import LivePrices
from privatefolio_daemon.domain.manual_transactions import ManualTransactions
from privatefolio_daemon.domain.metadata_refresh import MetadataRefresh
from privatefolio_daemon.domain.notifications import Notifications
from privatefolio_daemon.domain.platforms import PlatformCatalog
from privatefolio_daemon.domain.price_sources import announce_restart
from privatefolio_daemon.domain.raw_sql import RawSql
from privatefolio_daemon.domain.secrets import SecretBox
from privatefolio_daemon.domain.sync_event_types import Announcers
from privatefolio_daemon.domain.sync_events import SyncEvents
from privatefolio_daemon.domain.tags import Tags
from privatefolio_daemon.domain.trades import Trades
from privatefolio_daemon.domain.web_push import PushDevices, WebPush
from privatefolio_daemon.relayer.side_effects import StepTasks
from privatefolio_daemon.rpc.registry import MethodTable
from privatefolio_daemon.store.ledger import holds_chain_assets
from privatefolio_daemon.worker_processes import balance_worker_min_logs

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from privatefolio_daemon.app import Daemon


def _metadata_of_new_accounts(
    assets: AssetsApi, platforms: PlatformsApi
) -> Callable[[str], Awaitable[None]]:
    """A new account fetches the coin list unless it is cached, as Privatefolio's does at
    creation; else its assets would wait for the weekly metadata job to get their coin ids. A
    renamed account keeps its data, so it fetches nothing."""

    async def on_new_account(name: str) -> None:
        await assets.enqueueRefetchAssets(name, "system", True)
        await platforms.enqueueRefetchPlatforms(name, "system")

    return on_new_account


def _spam_pass_on_new_listings(daemon: "Daemon") -> Callable[[str], Awaitable[None]]:
    """Once which assets of an account are listed may have changed, its spam pass runs again if
    it holds on-chain tokens: a token listed now loses the tag detection gave it, and one no
    longer listed gets it."""

    async def on_listings(account: str) -> None:
        try:
            if account not in daemon.accounts.names():
                return
            if await daemon.accounts.get(account).read(holds_chain_assets):
                spec = StepTasks(account, daemon.steps).spec(DETECT_SPAM, "system")
                await daemon.relayer.enqueue(account, spec)
        except BusyError as error:  # being reset, restored or closed: its next import checks
            log.info("No spam pass for %s after a listing change: %s", account, error)

    return on_listings


class Features:
    def __init__(self, daemon: "Daemon") -> None:
        self.daemon = daemon
        data_dir = daemon.config.data_dir
        #: The asset and platform lookups, shared by every account.
        self.platforms = PlatformCatalog()
        self.asset_catalog = AssetCatalog(data_dir, self.platforms)
        self.derived = DerivedData(
            daemon.accounts.get,
            daemon.events,
            lambda: daemon.price_settings,
            self.asset_catalog,
            balance_worker_min_logs=balance_worker_min_logs(daemon.config.limits),
        )
        self.metadata_refresh = MetadataRefresh(
            self.asset_catalog,
            self.platforms,
            daemon.server_state.settings,
            daemon.events,
            daemon.config.limits.coin_list_timeout_seconds,
            daemon.accounts.names,
        )
        self.live_prices = LivePrices(lambda: daemon.price_settings, self.asset_catalog)
        #: Secrets at rest, and where connection syncs go (tests point exchanges at stand-ins).
        self.secrets = SecretBox(data_dir / "auth")
        self.web_push = WebPush(data_dir / "auth", daemon.config.limits.push_timeout_seconds)
        self.connection_sources = ConnectionSources()
        daemon.steps.update(self.derived.steps())
        daemon.steps.update(self.metadata_refresh.steps())
        daemon.steps.update(LedgerSteps(daemon.accounts.get, self.assets, daemon.events).steps())
        daemon.steps[REFRESH_TRADES] = self._refresh_trades
        self.backups = build_backup_api(
            daemon.accounts,
            daemon.events,
            daemon.relayer,
            daemon.server_files,
            daemon.config.limits,
            __version__,
        )
        daemon.relayer.backup_job = self.backups.scheduled_backup
        daemon.events.subscribe(LISTINGS_CHANGED, _spam_pass_on_new_listings(daemon))
        daemon.relayer.on_notification = self._push_notification

    def register(self, table: MethodTable) -> None:
        daemon, relayer, db_of = self.daemon, self.daemon.relayer, self.daemon.accounts.get
        budget = daemon.config.limits.client_sql_time_budget_seconds
        derived = self.derived
        table.add_object(LedgerApi(db_of, budget))
        table.add_object(BalancesApi(derived.balances, db_of, relayer, budget))
        table.add_object(PricesApi(derived.prices, self.live_prices, relayer))
        table.add_object(NetworthApi(derived.networth, db_of, relayer, budget))
        table.add_object(TradesApi(self.trades, db_of, relayer, budget))
        table.add_object(
            ComputeApi(
                derived.balances, derived.networth, self.trades, db_of, daemon.events, relayer
            )
        )
        limits = daemon.config.limits
        thresholds = CompactionThresholds(
            limits.compact_min_free_bytes, limits.compact_min_free_fraction
        )

        def compaction_of(account: str) -> Compaction:
            return Compaction(db_of(account), thresholds)

        table.add_object(CompactionApi(compaction_of, relayer))
        # A removal's compaction that a stop cut off (before it was queued, or queued) is owed.
        relayer.resume_checks.append(
            lambda account: compact_if_owed(relayer, account, compaction_of(account))
        )
        table.add_object(FileImportsApi(self.file_imports, db_of, relayer, budget, compaction_of))
        table.add_object(
            ConnectionsApi(
                self.connections,
                self.connection_sync,
                lambda account: KeyValueStore(db_of(account), daemon.events, account),
                db_of,
                relayer,
                self.secrets,
                budget,
                compaction_of,
            )
        )
        table.add_object(TransactionsApi(self.manual_transactions, relayer, daemon.steps))
        assets = AssetsApi(
            self.assets, self.asset_catalog, db_of, relayer, self.metadata_refresh, budget
        )
        platforms = PlatformsApi(self.platforms, db_of, relayer, self.metadata_refresh)
        table.add_object(assets)
        table.add_object(platforms)
        if daemon.crons.enabled:
            daemon.events.subscribe(ACCOUNT_CREATED, _metadata_of_new_accounts(assets, platforms))
        table.add_object(ExtensionsApi(ExtensionCatalog(self.platforms)))
        table.add_object(TagsApi(self.tags, db_of, budget))
        table.add_object(
            NotificationsApi(
                db_of,
                daemon.events,
                budget,
                self.web_push,
                self.notifications,
                self.push_devices,
            )
        )
        table.add_object(ChatHistoryApi(self.chat_history, db_of, budget))
        table.add_object(ExportsApi(self.exports, relayer))
        table.add_object(SyncApi(self.sync_events, ChangeFeed(db_of, daemon.events)))
        table.add_object(self.backups)
        table.add_object(
            RawSqlApi(lambda account: RawSql(account, db_of(account), daemon.events, budget))
        )

    async def close(self) -> None:
        await self.connection_sources.close()
        await self.live_prices.close()
        await self.web_push.close()

    # -- per-account domain objects ---------------------------------------------------------------

    def file_imports(self, account: str) -> FileImports:
        daemon = self.daemon
        return FileImports(
            account,
            daemon.accounts.get(account),
            daemon.events,
            daemon.server_files(account),
            daemon.config.limits,
        )

    def connections(self, account: str) -> Connections:
        daemon = self.daemon
        return Connections(account, daemon.accounts.get(account), daemon.events, self.secrets)

    def connection_sync(self, account: str) -> ConnectionSync:
        daemon = self.daemon
        return ConnectionSync(
            self.connections(account),
            daemon.accounts.get(account),
            daemon.events,
            self.connection_sources,
        )

    def trades(self, account: str) -> Trades:
        daemon = self.daemon
        listed = self.assets(account).listed_ids
        min_logs = daemon.config.limits.trades_off_writer_min_logs
        return Trades(account, daemon.accounts.get(account), daemon.events, listed, min_logs)

    async def _refresh_trades(self, account: str, progress: Progress, cancel: Cancel) -> None:
        await self.trades(account).refresh(progress, cancel)

    def assets(self, account: str) -> Assets:
        daemon = self.daemon
        return Assets(account, daemon.accounts.get(account), daemon.events, self.asset_catalog)

    def tags(self, account: str) -> Tags:
        return Tags(account, self.daemon.accounts.get(account), self.daemon.events)

    def manual_transactions(self, account: str) -> ManualTransactions:
        return ManualTransactions(account, self.daemon.accounts.get(account), self.daemon.events)

    def sync_events(self, account: str) -> SyncEvents:
        daemon = self.daemon
        manual, tags = self.manual_transactions(account), self.tags(account)
        key_values = KeyValueStore(daemon.accounts.get(account), daemon.events, account)
        settings = AccountSettings(key_values)
        announcers = Announcers(
            transaction_added=lambda tx: manual.announce_added(tx, None),
            transaction_updated=manual.announce_updated,
            transaction_patched=manual.announce_patched,
            transaction_deleted=manual.announce_deleted,
            asset_changed=self.assets(account).announce_changed,
            listing_changed=lambda: self.assets(account).announce_changed(listing=True),
            price_source_changed=lambda prices: announce_restart(daemon.events, account, prices),
            tags_changed=tags.announce,
            item_tagged=tags.item_changed,
            logs_tagged=tags.logs_changed,
            settings_changed=settings.announce,
            value_set=key_values.announce,
        )
        return SyncEvents(daemon.accounts.get(account), announcers, check_event_data)

    def push_devices(self, account: str) -> PushDevices:
        daemon = self.daemon
        return PushDevices(KeyValueStore(daemon.accounts.get(account), daemon.events, account))

    def notifications(self, account: str) -> Notifications:
        daemon = self.daemon
        return Notifications(
            account,
            daemon.accounts.get(account),
            daemon.events,
            self.web_push,
            self.push_devices(account),
        )

    def chat_history(self, account: str) -> ChatHistory:
        return ChatHistory(account, self.daemon.accounts.get(account), self.daemon.events)

    async def _push_notification(self, account: str, notification: dict[str, Any]) -> None:
        await self.notifications(account).push(notification)

    def exports(self, account: str) -> Exports:
        daemon = self.daemon
        return Exports(account, daemon.accounts.get(account), daemon.server_files(account))
