"""The price providers of one "Fetch asset prices" run (or one live price request), built from
``PriceFetchSettings``, and what an asset id tells a provider (data-model §3.1)."""

import asyncio
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.prices.base import (
    AssetType,
    PricedAsset,
    PriceFetchError,
    PriceProvider,
    PriceSeries,
    ProviderUnreachable,
)
from privatefolio_daemon.sources.prices.price_checks import SkipReport, log_skipped
from privatefolio_daemon.sources.prices.registry import PriceProviderRegistry, build_price_registry

_TYPE_BY_PLATFORM: dict[str, AssetType] = {
    "stock": "stock",
    "gov.us-sec": "stock",
    "fund": "fund",
    "fund.tefas": "fund",
    "fund.tefas-emk": "fund",
    "fund.tefas-byf": "fund",
    "metal": "metal",
    "fiat": "fiat",
}


def priced_asset(asset_id: str, coingecko_id: str | None = None) -> PricedAsset:
    """Ticker: the 2nd part of 2, else the 3rd, upper-cased; contract: the 2nd of a chain id."""
    parts = asset_id.split(":")
    if len(parts) == 1:
        return PricedAsset(id=asset_id, ticker=asset_id.upper(), coingecko_id=coingecko_id)
    platform = parts[0]
    ticker = (parts[1] if len(parts) == 2 else parts[2]).upper()
    contract = parts[1] if len(parts) >= 3 and platform.startswith("chain.") else None
    return PricedAsset(
        id=asset_id,
        ticker=ticker,
        asset_type=_TYPE_BY_PLATFORM.get(platform, "crypto"),
        platform=platform,
        contract=contract,
        coingecko_id=coingecko_id,
    )


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    provider: PriceProvider
    series: PriceSeries


async def ask_in_order(
    providers: Iterable[PriceProvider],
    asset: PricedAsset,
    since_ms: int,
    until_ms: int,
    unreachable: set[str] | None = None,
) -> ProviderAnswer | list[str]:
    """The first provider that answers, with its series; else why each one failed, in order.

    A provider found ``unreachable`` (ids, shared by the assets of one run) is not asked again.
    """
    failures: list[str] = []
    unreachable = set() if unreachable is None else unreachable
    for provider in providers:
        if provider.id in unreachable:
            failures.append(
                f"{provider.name}: not asked, it could not be reached (asset {asset.id})"
            )
            continue
        try:
            series = await provider.fetch_daily(asset, since_ms, until_ms)
        except ProviderUnreachable as error:
            unreachable.add(provider.id)
            failures.append(str(error))
        except PriceFetchError as error:
            failures.append(str(error))
        except Exception as error:  # a provider's bug must not keep the next one from answering
            failures.append(f"{provider.name}: {error!r} (asset {asset.id})")
        else:
            return ProviderAnswer(provider, series)
    return failures


async def load_exchange_library(settings: PriceFetchSettings) -> None:
    """Import ccxt on a worker thread when exchanges are configured: its import takes about
    2 s, which the event loop (and the other providers' timeouts) must not wait for."""
    if settings.providers.ccxt_exchanges:
        await asyncio.to_thread(importlib.import_module, "ccxt.async_support")


def build_registry(
    settings: PriceFetchSettings,
    on_skipped: SkipReport = log_skipped,
    *,
    keep_usd_rates: bool = False,
) -> PriceProviderRegistry:
    """The providers; each tells ``on_skipped`` of the prices it skipped (``price_checks``).
    ``keep_usd_rates`` for those of one "Fetch asset prices" run, which fetch each currency's USD
    rates once (``build_price_registry``)."""

    def ccxt_factory(
        exchange_id: str, priority: int, timeout_ms: int, report: SkipReport
    ) -> PriceProvider:
        from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider

        base_url = settings.exchange_api_urls.get(exchange_id)

        def configure(exchange: Any) -> None:
            if base_url is not None:
                exchange.urls["api"] = moved_urls(exchange.urls["api"], base_url)

        return CcxtOhlcvProvider(
            exchange_id,
            priority=priority,
            timeout_ms=timeout_ms,
            retry_delays=settings.exchange_retry_delays,
            configure=configure,
            on_skipped=report,
        )

    return build_price_registry(
        settings.providers,
        ccxt_factory=ccxt_factory,
        on_skipped=on_skipped,
        keep_usd_rates=keep_usd_rates,
    )


def moved_urls(urls: Any, base_url: str) -> Any:
    """ccxt's ``urls['api']`` (nested dicts of URLs) with every host replaced by ``base_url``."""
    if isinstance(urls, Mapping):
        return {key: moved_urls(value, base_url) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith(("http://", "https://")):
        return base_url.rstrip("/") + urlsplit(urls).path.rstrip("/")
    return urls
