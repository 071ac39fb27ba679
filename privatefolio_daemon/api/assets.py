"""Asset methods: my assets, one asset, preferences, search, and the metadata tasks."""

from collections.abc import Callable
from typing import Any, Literal

from privatefolio_daemon.api.client_queries import client_rows
from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.assets import AssetPatch, AssetRecord, Assets
from privatefolio_daemon.domain.derived_steps import REFETCH_ASSETS
from privatefolio_daemon.domain.metadata_refresh import MetadataRefresh
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.params import Count, closed
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.assets import MY_ASSETS_SQL
from privatefolio_daemon.store.database import Database


@closed
class AssetPatchParams(AssetPatch, total=False):
    """``patchAsset``'s patch: a misspelt key (``coingeckoID``) is refused, not ignored."""


@closed
class AssetRecordParams(AssetRecord, total=False):
    """``upsertAsset``'s record: a MyAsset as ``getAsset`` gives it back, so the keys only the
    lookup gives (``type``, ``firstOwnedAt``, ``marketCapRank``, ``platforms``) are accepted
    and not stored, while a misspelt one (``favourite``) is refused: stored whole, the record
    would otherwise drop the preference it meant to keep. Its ``name``, ``logoUrl`` and
    ``coingeckoId`` are preferences, stored as sent (as Privatefolio stores them)."""

    type: str
    firstOwnedAt: int | None
    marketCapRank: int | None
    platforms: dict[str, Any] | None


class AssetsApi:
    def __init__(
        self,
        assets_of: Callable[[str], Assets],
        catalog: AssetCatalog,
        db_of: Callable[[str], Database],
        relayer: Relayer,
        refresh: MetadataRefresh,
        budget: float,
    ) -> None:
        self._assets_of = assets_of
        self._catalog = catalog
        self._db_of = db_of
        self._relayer = relayer
        self._refresh = refresh
        self._budget = budget

    @rpc_method()
    async def getMyAssets(
        self, accountName: str, query: str | None = None, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Assets held (with firstOwnedAt) or marked favourite, enriched from the asset lookup."""
        assets = self._assets_of(accountName)
        rows = await client_rows(
            self._db_of(accountName),
            query,
            params,
            default_sql=MY_ASSETS_SQL,
            budget_seconds=self._budget,
        )
        return await assets.enrich_rows(rows)

    @rpc_method(none_is_nothing=True)
    async def getAsset(self, accountName: str, id: str) -> dict[str, Any] | None:
        """One asset; for an asset never held, the best match of the asset lookup, or null."""
        return await self._assets_of(accountName).get(id)

    @rpc_method()
    async def upsertAsset(self, accountName: str, asset: AssetRecordParams) -> None:
        """Store an asset's preferences (replacing what was stored)."""
        await self._assets_of(accountName).upsert(asset)

    @rpc_method()
    async def patchAsset(self, accountName: str, id: str, patch: AssetPatchParams) -> None:
        """Change stored preferences: favorite, priceApiId (null clears), name, logoUrl…

        A priceApiId must name a price provider; a new one fetches the asset's prices again."""
        await self._assets_of(accountName).patch(id, patch)

    @rpc_method()
    async def findAssets(
        self,
        accountName: str,
        query: str,
        limit: Count = 5,
        strict: bool = False,
        searchSet: Literal["all-assets", "my-assets"] = "all-assets",
    ) -> list[dict[str, Any]]:
        """Search by id, coingeckoId, symbol or contract (and name when not strict)."""
        mine = searchSet == "my-assets"
        return await self._assets_of(accountName).find(query, limit, strict, mine)

    @rpc_method()
    async def getAssetsByPlatform(self, platformId: str) -> list[dict[str, Any]]:
        """Assets of the asset lookup with a token contract on a chain (``chain.ethereum``)."""
        await self._catalog.ensure_loaded()
        return self._catalog.on_platform(platformId)

    @rpc_method()
    async def enqueueRefetchAssets(
        self, accountName: str, trigger: Trigger, onlyIfNeeded: bool = False
    ) -> int:
        """Queue "Refetch assets": download the coin list into the cache; returns the task id."""
        self._db_of(accountName)
        refresh = self._refresh

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await refresh.refetch_assets(accountName, progress, cancel, onlyIfNeeded)

        return await self._enqueue(
            accountName, REFETCH_ASSETS, "Download the coin list", run, trigger
        )

    @rpc_method()
    async def enqueueDeleteAssetPreferences(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Delete asset preferences" (empties the stored preferences)."""
        assets = self._assets_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            deleted = await assets.delete_preferences(cancel)
            progress(100, f"Deleted the preferences of {deleted} assets")

        return await self._enqueue(
            accountName,
            "Delete asset preferences",
            "Delete every stored asset preference",
            run,
            trigger,
        )

    async def _enqueue(
        self, account: str, name: str, description: str, run: Any, trigger: Trigger
    ) -> int:
        return await self._relayer.enqueue(
            account,
            TaskSpec(
                name=name,
                description=description,
                priority=Priority.HIGH,
                function=run,
                trigger=trigger,
                determinate=True,
            ),
        )
