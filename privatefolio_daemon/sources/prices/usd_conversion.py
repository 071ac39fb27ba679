"""Prices quoted in another currency, turned into USD day by day.

Net worth is in USD, so every stored daily price is in USD. A provider whose prices are in another
currency (a London stock in pence, a Tokyo stock in yen, a TEFAS fund in lira) converts each day
with that day's USD rate of the currency: the rate the fiat provider gives ``fiat:<CURRENCY>``
(Yahoo's ``<CURRENCY>USD=X``, the USD price of one unit).

- Minor units are first divided into their currency: ``GBp`` and ``GBX`` (pence) into GBP, ``ZAc``
  and ``ZAC`` (cents) into ZAR, ``ILA`` (agorot) into ILS, each by 100.
- A day without a rate of its own (an FX market holiday) takes the nearest earlier day's rate,
  which the fiat provider carries into it (``market_closes``).
- A day with no rate on it or before it, or rates that cannot be fetched, fail the whole asset with
  a ``PriceFetchError`` naming the provider, the asset and the currency, e.g. ``Yahoo Finance: no
  USD rate for GBP on Jan 02, 2024 or before (asset stock:VOD.L)``: no row is written for it.
- ``value``, ``open``, ``high``, ``low`` and ``close`` are converted; ``volume`` (units traded)
  is not. The arithmetic is exact (``Decimal`` from each float's shortest form), and the result is
  stored as the nearest float, as every price is. It runs on a worker thread: decades of days
  take tens of ms.
- The providers of one "Fetch asset prices" run keep each currency's rates (``keep_rates``,
  ``usd_rates``): the run fetches a currency's history once, however many assets it prices.
"""

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from privatefolio_daemon.domain.timeutil import DAY_MS, human_date
from privatefolio_daemon.sources.prices.base import (
    PRICE_FIELDS,
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceProvider,
)
from privatefolio_daemon.sources.prices.market_closes import LOOKBACK_DAYS
from privatefolio_daemon.sources.prices.series_worker import SeriesWorker
from privatefolio_daemon.sources.prices.usd_rates import UsdRates, exact

USD = "USD"

MINOR_UNITS: dict[str, tuple[str, Decimal]] = {
    "GBp": ("GBP", Decimal(100)),
    "GBX": ("GBP", Decimal(100)),
    "ZAc": ("ZAR", Decimal(100)),
    "ZAC": ("ZAR", Decimal(100)),
    "ILA": ("ILS", Decimal(100)),
}
"""Minor-unit codes (case matters: ``GBp`` is pence, ``GBP`` pounds) → (currency, units in one)."""


def major_currency(code: str) -> tuple[str, Decimal]:
    """``GBp`` → ``("GBP", 100)``; ``jpy`` → ``("JPY", 1)``."""
    return MINOR_UNITS.get(code, (code.upper(), Decimal(1)))


@dataclass(frozen=True, slots=True)
class _Asker:
    """The provider and asset whose prices need the rates of ``currency``."""

    provider_name: str
    asset_id: str
    currency: str

    def failure(self, reason: str) -> PriceFetchError:
        return PriceFetchError(self.provider_name, self.asset_id, reason)


class UsdConverter:
    """Converts daily prices into USD with the daily rates of ``fiat`` (the fiat provider).

    With ``keep_rates``, each currency's rates are kept once fetched, and only the days not yet
    fetched are asked for: for the providers of one "Fetch asset prices" run, whose assets in one
    currency then share one fetch of its history. Not for providers kept between live-price
    requests, whose rate of today must be asked for again.
    """

    def __init__(
        self, fiat: PriceProvider, *, keep_rates: bool = False, worker: SeriesWorker | None = None
    ) -> None:
        self.fiat = fiat
        self.worker = worker or SeriesWorker()
        self._kept: dict[str, UsdRates] | None = {} if keep_rates else None
        self._fetching: dict[str, asyncio.Lock] = {}

    async def to_usd(
        self, provider_name: str, asset_id: str, currency: str, points: list[ChartData]
    ) -> list[ChartData]:
        """``points`` (oldest first, prices in ``currency``) with their prices in USD."""
        major, units = major_currency(currency)
        if not points or major == USD:
            return points
        since, until = points[0]["time"] * 1000, points[-1]["time"] * 1000
        asker = _Asker(provider_name, asset_id, major)
        rates = await self._rates(asker, since, until)
        # Decades of days take tens of ms (Decimal arithmetic): not on the event loop.
        return await self.worker.run(_in_usd, asker, units, points, rates)

    async def _rates(self, asker: _Asker, since: int, until: int) -> UsdRates:
        """The rates of ``asker.currency`` from ``since`` to ``until`` (ms), at least."""
        if self._kept is None:
            return await self._fetched(asker, since, until)
        async with self._fetching.setdefault(asker.currency, asyncio.Lock()):
            kept = self._kept.get(asker.currency)
            if kept is None:
                kept = self._kept[asker.currency] = await self._fetched(asker, since, until)
            for first, last in kept.missing(since, until):
                more = await self._fetched(asker, first, last, none_is_empty=True)
                kept = self._kept[asker.currency] = await self.worker.run(kept.joined, more)
        return kept

    async def _fetched(
        self, asker: _Asker, since: int, until: int, *, none_is_empty: bool = False
    ) -> UsdRates:
        """The rates the fiat provider gives from ``since`` to ``until`` (ms). None there fails
        the asset, unless ``none_is_empty``: days next to rates already fetched."""
        currency = asker.currency
        fiat = PricedAsset(f"fiat:{currency}", currency, "fiat", "fiat")
        try:
            series = await self.fiat.fetch_daily(fiat, since, until)
        except EmptyResponse as error:
            if none_is_empty:
                return UsdRates(since, until, [], [])
            searched = since - LOOKBACK_DAYS * DAY_MS  # the fiat provider looks back that far
            dates = f"from {human_date(searched)} to {human_date(until)}"
            raise asker.failure(f"no USD rate for {currency} {dates}") from error
        except PriceFetchError as error:
            raise asker.failure(f"no USD rate for {currency}: {error.reason}") from error
        return await self.worker.run(UsdRates.of, series.points, since, until)


def _in_usd(
    asker: _Asker, units: Decimal, points: list[ChartData], rates: UsdRates
) -> list[ChartData]:
    converted = []
    for point in points:
        rate = rates.on(point["time"])
        if rate is None:
            day = human_date(point["time"] * 1000)
            raise asker.failure(f"no USD rate for {asker.currency} on {day} or before")
        converted.append(_converted(point, rate / units))
    return converted


def _converted(point: ChartData, rate: Decimal) -> ChartData:
    converted = point.copy()
    for name in PRICE_FIELDS:
        if name in point:
            converted[name] = float(exact(point[name]) * rate)
    return converted
