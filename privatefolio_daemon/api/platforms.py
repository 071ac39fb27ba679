"""Platform methods over the built-in lists of blockchains, exchanges and apps."""

from collections.abc import Callable
from typing import Any, Literal

from privatefolio_daemon.domain.derived_steps import REFETCH_PLATFORMS
from privatefolio_daemon.domain.metadata_refresh import MetadataRefresh
from privatefolio_daemon.domain.platforms import PlatformCatalog, find_platforms
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Priority, TaskSpec, Trigger
from privatefolio_daemon.rpc.params import Count
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.store.database import Database

_MY_PLATFORM_IDS = "SELECT DISTINCT platformId FROM audit_logs ORDER BY platformId ASC"


class PlatformsApi:
    def __init__(
        self,
        platforms: PlatformCatalog,
        db_of: Callable[[str], Database],
        relayer: Relayer,
        refresh: MetadataRefresh,
    ) -> None:
        self._platforms = platforms
        self._db_of = db_of
        self._relayer = relayer
        self._refresh = refresh

    async def _my_platforms(self, account: str) -> list[dict[str, Any]]:
        rows = await self._db_of(account).fetch_all(_MY_PLATFORM_IDS)
        return self._platforms.describe(row[0] for row in rows)

    @rpc_method()
    async def getMyPlatforms(self, accountName: str) -> list[dict[str, Any]]:
        """The platforms of the account's audit logs (an unknown id comes back as its own name)."""
        return await self._my_platforms(accountName)

    @rpc_method()
    async def getPlatform(self, id: str) -> dict[str, Any] | None:
        """One platform by id, or null."""
        return self._platforms.get(id)

    @rpc_method()
    async def getAllPlatforms(self) -> list[dict[str, Any]]:
        """Every known platform: blockchains, then exchanges and apps."""
        return self._platforms.all()

    @rpc_method()
    async def getBlockchains(self) -> list[dict[str, Any]]:
        """The built-in EVM chains as platforms (with chainId and nativeCoinId)."""
        return self._platforms.of_type("blockchain")

    @rpc_method()
    async def getExchanges(self) -> list[dict[str, Any]]:
        """The known exchanges."""
        return self._platforms.of_type("exchange")

    @rpc_method()
    async def findPlatforms(
        self,
        accountName: str,
        query: str,
        limit: Count = 5,
        strict: bool = False,
        searchSet: Literal["coingecko", "my-platforms"] = "coingecko",
    ) -> list[dict[str, Any]]:
        """Platforms whose id or name contains the query (strict: whose id equals it)."""
        if searchSet == "my-platforms":
            candidates = await self._my_platforms(accountName)
        else:
            candidates = self._platforms.all()
        return find_platforms(candidates, query, limit, strict)

    @rpc_method()
    async def enqueueRefetchPlatforms(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Refetch platforms" (platforms come from the built-in lists)."""
        self._db_of(accountName)
        refresh = self._refresh

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await refresh.refetch_platforms(accountName, progress, cancel)

        return await self._relayer.enqueue(
            accountName,
            TaskSpec(
                name=REFETCH_PLATFORMS,
                description="Reload the platform list",
                priority=Priority.HIGH,
                function=run,
                trigger=trigger,
                determinate=True,
            ),
        )
