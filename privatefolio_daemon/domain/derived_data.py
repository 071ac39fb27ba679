"""Balances, daily prices and net worth of each account, and the three relayer steps they run."""

from collections.abc import Callable

from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.balances import Balances
from privatefolio_daemon.domain.derived_steps import (
    FETCH_PRICES,
    REFRESH_BALANCES,
    REFRESH_NETWORTH,
    Cancel,
    Progress,
    Step,
)
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.networth import Networth
from privatefolio_daemon.domain.prices import DailyPrices
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.store.database import Database


class DerivedData:
    def __init__(
        self,
        db_of: Callable[[str], Database],
        events: EventBus,
        price_settings_of: Callable[[], PriceFetchSettings],
        catalog: AssetCatalog,
        *,
        balance_worker_min_logs: int = 0,
    ) -> None:
        self._db_of = db_of
        self._events = events
        self._price_settings_of = price_settings_of
        self._catalog = catalog
        self._balance_worker_min_logs = balance_worker_min_logs

    def balances(self, account: str) -> Balances:
        return Balances(
            account,
            self._db_of(account),
            self._events,
            worker_min_logs=self._balance_worker_min_logs,
        )

    def prices(self, account: str) -> DailyPrices:
        return DailyPrices(
            account, self._db_of(account), self._events, self._price_settings_of, self._catalog
        )

    def networth(self, account: str) -> Networth:
        return Networth(account, self._db_of(account), self._events)

    def steps(self) -> dict[str, Step]:
        """The real "Refresh balances", "Fetch asset prices" and "Refresh networth" steps."""

        async def refresh_balances(account: str, progress: Progress, cancel: Cancel) -> None:
            await self.balances(account).refresh(progress, cancel)

        async def fetch_prices(account: str, progress: Progress, cancel: Cancel) -> str | None:
            return await self.prices(account).fetch(progress, cancel)

        async def refresh_networth(account: str, progress: Progress, cancel: Cancel) -> None:
            await self.networth(account).refresh(progress, cancel)

        return {
            REFRESH_BALANCES: refresh_balances,
            FETCH_PRICES: fetch_prices,
            REFRESH_NETWORTH: refresh_networth,
        }
