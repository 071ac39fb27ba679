"""The interface every daily-price provider implements."""

from dataclasses import dataclass
from typing import Literal, NotRequired, Protocol, TypedDict

AssetType = Literal["crypto", "stock", "fund", "metal", "fiat"]


class ChartData(TypedDict):
    """One daily candle as the frontend reads it: ``time`` in seconds (UTC day start)."""

    time: int
    value: float
    open: NotRequired[float]
    high: NotRequired[float]
    low: NotRequired[float]
    close: NotRequired[float]
    volume: NotRequired[float]


@dataclass(frozen=True, slots=True)
class PricedAsset:
    """What a provider needs to know about an asset to price it."""

    id: str
    ticker: str
    asset_type: AssetType = "crypto"
    platform: str | None = None
    contract: str | None = None
    coingecko_id: str | None = None


@dataclass(frozen=True, slots=True)
class PriceSeries:
    pair: str
    points: list[ChartData]


class PriceFetchError(Exception):
    """A provider could not price an asset; the message names both."""

    def __init__(self, provider_name: str, asset_id: str, reason: str) -> None:
        super().__init__(f"{provider_name}: {reason} (asset {asset_id})")
        self.provider_name = provider_name
        self.asset_id = asset_id
        self.reason = reason


class ProviderUnreachable(PriceFetchError):
    """The provider's host could not be reached at all (no network, a name that does not
    resolve, a refused connection): asking it again at once is pointless."""


class EmptyResponse(PriceFetchError):
    def __init__(self, provider_name: str, asset_id: str) -> None:
        super().__init__(provider_name, asset_id, "EmptyResponse")


DAY_S = 86_400

_CANDLE_PRICES: tuple[Literal["open", "high", "low", "close"], ...] = (
    "open",
    "high",
    "low",
    "close",
)
#: Every price a point may hold.
PRICE_FIELDS: tuple[Literal["value", "open", "high", "low", "close"], ...] = (
    "value",
    *_CANDLE_PRICES,
)


def fill_closed_days(points: list[ChartData], through: int | None = None) -> list[ChartData]:
    """``points`` (oldest first, one a day) with every day between two of them carrying the
    close of the last one before it: the days a market is closed (weekends, holidays, halts).

    Stock, fund, metal and FX markets have no price on those days, and net worth counts an asset
    without a price on a day as worth 0 (data-model §6.2), so a held stock would drop out of it
    every weekend. A carried day is a flat candle at that close: ``value`` and, when the day it
    comes from has them, ``open``, ``high``, ``low`` and ``close`` equal to its ``value``, and
    ``volume`` 0. Nothing is added before the first point; after the last one, the days up to
    ``through`` (a day's start in seconds) carry it too.
    """
    filled: list[ChartData] = []
    for point in points:
        if filled:
            previous = filled[-1]
            for day in range(previous["time"] + DAY_S, point["time"], DAY_S):
                filled.append(_carried(previous, day))
        filled.append(point)
    if filled and through is not None:
        last = filled[-1]
        filled.extend(
            _carried(last, day) for day in range(last["time"] + DAY_S, through + 1, DAY_S)
        )
    return filled


def _carried(point: ChartData, day: int) -> ChartData:
    close = point["value"]
    carried: ChartData = {"time": day, "value": close}
    for name in _CANDLE_PRICES:
        if name in point:
            carried[name] = close
    if "volume" in point:
        carried["volume"] = 0.0
    return carried


def is_carried(point: ChartData, previous: ChartData) -> bool:
    """Whether ``point`` looks like the day after ``previous`` carrying its close: a flat candle
    at that close (``volume`` 0 when it has one). A real close can look so too (a fund whose price
    did not move), which only makes it asked for again."""
    value = previous["value"]
    return (
        point["time"] - previous["time"] == DAY_S
        and point["value"] == value
        and all(point.get(name, value) == value for name in _CANDLE_PRICES)
        and point.get("volume", 0) == 0
    )


class PriceProvider(Protocol):
    """A source of daily prices. ``id`` is what ``assets.priceApiId`` stores."""

    id: str
    name: str
    priority: int

    def supports(self, asset: PricedAsset) -> bool:
        """Whether this provider can be asked for the asset at all."""
        ...

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        """Daily candles with ``since_ms <= time*1000 <= until_ms``, oldest first. A market that
        closes (``market_closes``) may start with its last close before ``since_ms``.

        Pages through the provider's limits itself. Raises ``PriceFetchError`` (``EmptyResponse``
        when nothing is there).
        """
        ...

    async def close(self) -> None: ...
