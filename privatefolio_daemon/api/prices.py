"""Daily prices: per asset, the map of one day, and the fetch and delete tasks."""

from collections.abc import Callable

from privatefolio_daemon.api.derived_tasks import enqueue_task
from privatefolio_daemon.domain.candle_buckets import CandleInterval
from privatefolio_daemon.domain.derived_steps import FETCH_PRICES
from privatefolio_daemon.domain.live_prices import LivePrices
from privatefolio_daemon.domain.prices import DailyPrices
from privatefolio_daemon.domain.timeutil import client_ms
from privatefolio_daemon.relayer.cancellation import CancelToken
from privatefolio_daemon.relayer.progress import TaskProgress
from privatefolio_daemon.relayer.relayer import Relayer
from privatefolio_daemon.relayer.task_types import Conclusion, Priority, Trigger, concluding
from privatefolio_daemon.rpc.params import Count
from privatefolio_daemon.rpc.registry import rpc_method
from privatefolio_daemon.sources.prices.base import ChartData

DELETE_PRICES = "Delete asset prices"


def _ms(value: float | None) -> int | None:
    return None if value is None else client_ms(value)


class PricesApi:
    def __init__(
        self, prices_of: Callable[[str], DailyPrices], live: LivePrices, relayer: Relayer
    ) -> None:
        self._prices_of = prices_of
        self._live = live
        self._relayer = relayer

    @rpc_method()
    async def getPricesForAsset(
        self,
        accountName: str,
        assetId: str,
        timestamp: float | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[ChartData]:
        """Stored daily prices of an asset, oldest first: all, one day, or ``start``..``end``."""
        return await self._prices_of(accountName).for_asset(
            assetId, _ms(timestamp), _ms(start), _ms(end)
        )

    @rpc_method()
    async def getAssetPriceMap(
        self, accountName: str, timestamp: float | None = None
    ) -> dict[str, ChartData]:
        """``{assetId: price}`` of the UTC day of ``timestamp`` (today by default; tomorrow, which
        has no prices yet, gets today's); always has ``"USDT"`` at 1, as Privatefolio does."""
        return await self._prices_of(accountName).price_map(_ms(timestamp))

    @rpc_method()
    async def getLivePricesForAsset(
        self,
        assetId: str,
        priceApiId: str | None = None,
        limit: Count = 900,
        interval: CandleInterval = "1d",
        since: float | None = None,
        until: float | None = None,
    ) -> list[ChartData]:
        """Prices straight from a provider, not stored (no account needed).

        The provider is ``priceApiId``, else the ones "Fetch asset prices" would ask, in order.
        At most ``limit`` candles up to ``until`` (today), from ``since`` if given.
        """
        return await self._live.fetch(assetId, priceApiId, limit, interval, _ms(since), _ms(until))

    @rpc_method()
    async def enqueueFetchPrices(
        self, accountName: str, trigger: Trigger, groupId: str | None = None
    ) -> int:
        """Queue "Fetch asset prices" for every owned or favourite asset."""
        prices = self._prices_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> Conclusion | None:
            return concluding(await prices.fetch(progress, cancel))

        return await enqueue_task(
            self._relayer,
            accountName,
            FETCH_PRICES,
            run,
            trigger,
            priority=Priority.LOW,
            group_id=groupId,
        )

    @rpc_method()
    async def enqueueDeleteAssetPrices(self, accountName: str, trigger: Trigger) -> int:
        """Queue "Delete asset prices": every stored daily price."""
        prices = self._prices_of(accountName)

        async def run(progress: TaskProgress, cancel: CancelToken) -> None:
            await prices.delete_all(progress, cancel)

        return await enqueue_task(
            self._relayer, accountName, DELETE_PRICES, run, trigger, priority=Priority.HIGH
        )
