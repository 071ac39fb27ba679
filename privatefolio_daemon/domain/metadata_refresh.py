"""The ``Refetch assets`` and ``Refetch platforms`` steps.

``Refetch assets`` downloads the coin list from the server setting ``coinListUrl`` (by default
CoinGecko's) into ``<data>/cache/coins/all.json`` and merges it into the asset lookup.
``Refetch platforms`` has nothing to download: platforms come from the lists the daemon ships,
so it only reports them.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.coin_list import download_coin_list, save_coin_list
from privatefolio_daemon.domain.derived_steps import (
    REFETCH_ASSETS,
    REFETCH_PLATFORMS,
    Cancel,
    Progress,
    Step,
)
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import LISTINGS_CHANGED, EventBus
from privatefolio_daemon.domain.platforms import PlatformCatalog
from privatefolio_daemon.settings import DEFAULT_COIN_LIST_URL

COIN_LIST_URL_SETTING = "coinListUrl"


class MetadataRefresh:
    def __init__(
        self,
        catalog: AssetCatalog,
        platforms: PlatformCatalog,
        server_settings: Callable[[], Awaitable[dict[str, Any]]],
        events: EventBus,
        timeout_seconds: float,
        account_names: Callable[[], list[str]],
    ) -> None:
        self._account_names = account_names
        self._catalog = catalog
        self._platforms = platforms
        self._server_settings = server_settings
        self._events = events
        self._timeout = timeout_seconds
        self._lock = asyncio.Lock()
        self._downloads = 0
        """How many downloads have been saved, and the URL of the last one."""
        self._last_url: str | None = None

    def steps(self) -> dict[str, Step]:
        return {REFETCH_ASSETS: self.refetch_assets, REFETCH_PLATFORMS: self.refetch_platforms}

    async def refetch_assets(
        self, account: str, progress: Progress, cancel: Cancel, only_if_needed: bool = False
    ) -> None:
        if only_if_needed and await self._cached(progress):  # no wait for another download
            return
        downloads = self._downloads
        async with self._lock:  # accounts share the cache: one download at a time
            if only_if_needed and await self._cached(progress):
                return
            url = await self._url()
            if self._downloads != downloads and self._last_url == url:
                progress(
                    100, f"The coin list was just downloaded ({self._catalog.coin_count} coins)"
                )
                return  # by another account's task, while this one waited
            progress(0, f"Downloading the coin list from {url}")
            coins = await download_coin_list(url, self._timeout)
            cancel.checkpoint()
            progress(60, f"Saving {len(coins)} coins")
            changed = await save_coin_list(self._catalog.coin_list_path, coins)
            await self._catalog.load(coins)
            self._downloads += 1
            self._last_url = url
        for name in self._account_names():  # the list is every account's
            self._events.emit("metadata", account=name)
            if changed:  # a list like the last one lists the same tokens
                self._events.emit(LISTINGS_CHANGED, name)
        progress(100, "Done")

    async def _url(self) -> str:
        url = (await self._server_settings()).get(COIN_LIST_URL_SETTING)
        if url is None:
            return DEFAULT_COIN_LIST_URL
        if not isinstance(url, str) or not url:
            raise InvalidInputError(
                f"The server setting {COIN_LIST_URL_SETTING} must be a URL, not {url!r}"
            )
        return url

    async def _cached(self, progress: Progress) -> bool:
        """Whether a readable coin list is cached (an unreadable one is downloaded again)."""
        if not self._catalog.coin_list_path.is_file():
            return False
        await self._catalog.ensure_loaded()
        if not self._catalog.coin_count:
            return False
        progress(100, f"The coin list is already cached ({self._catalog.coin_count} coins)")
        return True

    async def refetch_platforms(self, account: str, progress: Progress, cancel: Cancel) -> None:
        count = len(self._platforms.all())
        progress(100, f"Platforms come from the built-in list ({count} platforms)")
        self._events.emit("metadata", account=account)
