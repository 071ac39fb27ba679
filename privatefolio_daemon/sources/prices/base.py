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


class PriceProvider(Protocol):
    """A source of daily prices. ``id`` is what ``assets.priceApiId`` stores."""

    id: str
    name: str
    priority: int

    def supports(self, asset: PricedAsset) -> bool:
        """Whether this provider can be asked for the asset at all."""
        ...

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        """Daily candles with ``since_ms <= time*1000 <= until_ms``, oldest first.

        Pages through the provider's limits itself. Raises ``PriceFetchError`` (``EmptyResponse``
        when nothing is there).
        """
        ...

    async def close(self) -> None: ...
