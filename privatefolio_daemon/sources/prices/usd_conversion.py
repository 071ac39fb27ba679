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
  stored as the nearest float, as every price is.
"""

from bisect import bisect_right
from decimal import Decimal
from typing import Literal

from privatefolio_daemon.domain.timeutil import DAY_MS, human_date
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceFetchError,
    PriceProvider,
)
from privatefolio_daemon.sources.prices.market_closes import LOOKBACK_DAYS

USD = "USD"

MINOR_UNITS: dict[str, tuple[str, Decimal]] = {
    "GBp": ("GBP", Decimal(100)),
    "GBX": ("GBP", Decimal(100)),
    "ZAc": ("ZAR", Decimal(100)),
    "ZAC": ("ZAR", Decimal(100)),
    "ILA": ("ILS", Decimal(100)),
}
"""Minor-unit codes (case matters: ``GBp`` is pence, ``GBP`` pounds) → (currency, units in one)."""

_PRICES: tuple[Literal["value", "open", "high", "low", "close"], ...] = (
    "value",
    "open",
    "high",
    "low",
    "close",
)


def major_currency(code: str) -> tuple[str, Decimal]:
    """``GBp`` → ``("GBP", 100)``; ``jpy`` → ``("JPY", 1)``."""
    return MINOR_UNITS.get(code, (code.upper(), Decimal(1)))


class UsdConverter:
    """Converts daily prices into USD with the daily rates of ``fiat`` (the fiat provider)."""

    def __init__(self, fiat: PriceProvider) -> None:
        self.fiat = fiat

    async def to_usd(
        self, provider_name: str, asset_id: str, currency: str, points: list[ChartData]
    ) -> list[ChartData]:
        """``points`` (oldest first, prices in ``currency``) with their prices in USD."""
        major, units = major_currency(currency)
        if not points or major == USD:
            return points
        days, rates = await self._rates(provider_name, asset_id, major, points)
        converted = []
        for point in points:
            index = bisect_right(days, point["time"])
            if index == 0:
                day = human_date(point["time"] * 1000)
                reason = f"no USD rate for {major} on {day} or before"
                raise PriceFetchError(provider_name, asset_id, reason)
            converted.append(_converted(point, rates[index - 1] / units))
        return converted

    async def _rates(
        self, provider_name: str, asset_id: str, currency: str, points: list[ChartData]
    ) -> tuple[list[int], list[Decimal]]:
        """The days (s) with a USD rate of ``currency``, oldest first, and those rates."""
        since = points[0]["time"] * 1000
        until = points[-1]["time"] * 1000
        fiat = PricedAsset(f"fiat:{currency}", currency, "fiat", "fiat")
        try:
            series = await self.fiat.fetch_daily(fiat, since, until)
        except EmptyResponse as error:
            searched = since - LOOKBACK_DAYS * DAY_MS  # the fiat provider looks back that far
            dates = f"from {human_date(searched)} to {human_date(until)}"
            reason = f"no USD rate for {currency} {dates}"
            raise PriceFetchError(provider_name, asset_id, reason) from error
        except PriceFetchError as error:
            reason = f"no USD rate for {currency}: {error.reason}"
            raise PriceFetchError(provider_name, asset_id, reason) from error
        by_day = {rate["time"]: _exact(rate["value"]) for rate in series.points}
        days = sorted(by_day)
        return days, [by_day[day] for day in days]


def _converted(point: ChartData, rate: Decimal) -> ChartData:
    converted = point.copy()
    for name in _PRICES:
        if name in point:
            converted[name] = float(_exact(point[name]) * rate)
    return converted


def _exact(value: float) -> Decimal:
    """The decimal a float was written as (``0.1`` → ``Decimal("0.1")``, not its binary value)."""
    return Decimal(repr(float(value)))
