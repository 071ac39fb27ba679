"""The default price providers, and which of them to ask for an asset, in order.

Order for an asset (data-model §13, extended to asset types):

1. A chain asset (platform ``chain.*``) without a CoinGecko id is skipped:
   ``Skipped <TICKER>: No coingeckoId``.
2. The stored ``priceApiId``, alone, when it names a known provider (an unknown id, e.g. the
   original's ``alchemy``, falls through to the rules below).
3. ``ex.binance:*`` → binance; ``gov.us-sec:*`` → yahoo.
4. TEFAS funds (platform ``fund.tefas``, ``fund.tefas-emk``, ``fund.tefas-byf``) → tefas only:
   a TEFAS code can also be some Yahoo ticker, which would price the fund wrongly. (A generic
   CSV's ``fund:`` priced in TRY gets the stored ``priceApiId`` ``tefas`` at its import, rule 2:
   ``domain/tefas_funds.py``.)
5. Other stocks and funds → yahoo; metals → metals; fiat → fiat; chain tokens → defi-llama.
6. Anything else → every crypto provider by priority: coinbase (1), binance (2), defi-llama (5).

Providers that do not ``supports()`` the asset are dropped (the stored one is trusted). With
nothing left the plan says ``Skipped <TICKER>: No price provider``.

ccxt is imported only when the default factory first builds an exchange provider.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from privatefolio_daemon.sources.prices.base import PricedAsset, PriceProvider
from privatefolio_daemon.sources.prices.defillama import DefiLlamaProvider
from privatefolio_daemon.sources.prices.fiat import FiatProvider
from privatefolio_daemon.sources.prices.http_fetch import ErrorDetail, FetchPolicy, JsonFetcher
from privatefolio_daemon.sources.prices.metals import MetalsProvider
from privatefolio_daemon.sources.prices.price_checks import SkipReport, log_skipped
from privatefolio_daemon.sources.prices.price_settings import PriceSettings
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter
from privatefolio_daemon.sources.prices.series_worker import SeriesWorker
from privatefolio_daemon.sources.prices.tefas import TefasProvider, is_tefas_fund
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter
from privatefolio_daemon.sources.prices.yahoo import (
    YAHOO_NAME,
    YahooChartClient,
    YahooProvider,
    yahoo_error_detail,
)

EXCHANGE_PRIORITIES = {"coinbase": 1, "binance": 2}
"""Priorities of the ccxt exchange providers; an exchange not listed here gets 3."""

NON_CRYPTO_PROVIDERS = frozenset({"yahoo", "metals", "fiat", "tefas"})
PRICE_API_IDS = ("binance", "coinbase", "defi-llama", "fiat", "metals", "tefas", "yahoo")
"""The ids of the default providers, what ``assets.priceApiId`` may name."""


CcxtFactory = Callable[[str, int, int, SkipReport], PriceProvider]
"""Builds an exchange provider from ``(exchange_id, priority, timeout_ms, on_skipped)``."""


def ccxt_provider(
    exchange_id: str, priority: int, timeout_ms: int, on_skipped: SkipReport
) -> PriceProvider:
    from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider

    return CcxtOhlcvProvider(
        exchange_id, priority=priority, timeout_ms=timeout_ms, on_skipped=on_skipped
    )


@dataclass(frozen=True, slots=True)
class ProviderPlan:
    providers: tuple[PriceProvider, ...]
    skipped: str | None = None
    """Why the asset is not priced at all, as the progress log prints it."""


class PriceProviderRegistry:
    def __init__(
        self, providers: Iterable[PriceProvider], *, worker: SeriesWorker | None = None
    ) -> None:
        self.providers = sorted(providers, key=lambda provider: provider.priority)
        self._worker = worker
        self._by_id = {provider.id: provider for provider in self.providers}

    def get(self, provider_id: str) -> PriceProvider | None:
        return self._by_id.get(provider_id)

    def plan(self, asset: PricedAsset, price_api_id: str | None = None) -> ProviderPlan:
        if _is_chain(asset) and not asset.coingecko_id:
            return ProviderPlan((), f"Skipped {asset.ticker}: No coingeckoId")
        stored = self._by_id.get(price_api_id) if price_api_id else None
        if stored is not None:
            return ProviderPlan((stored,))
        candidates = [p for p in self._candidates(asset) if p.supports(asset)]
        if not candidates:
            return ProviderPlan((), f"Skipped {asset.ticker}: No price provider")
        return ProviderPlan(tuple(candidates))

    async def close(self) -> None:
        for provider in self.providers:
            await provider.close()
        if self._worker is not None:
            self._worker.close()

    def _candidates(self, asset: PricedAsset) -> list[PriceProvider]:
        only = _dedicated_provider(asset)
        if only is not None:
            provider = self._by_id.get(only)
            return [provider] if provider else []
        return [p for p in self.providers if p.id not in NON_CRYPTO_PROVIDERS]


def _dedicated_provider(asset: PricedAsset) -> str | None:
    if asset.platform == "ex.binance":
        return "binance"
    if asset.platform == "gov.us-sec":
        return "yahoo"
    if is_tefas_fund(asset):
        return "tefas"
    if asset.asset_type in ("stock", "fund"):
        return "yahoo"
    if asset.asset_type == "metal":
        return "metals"
    if asset.asset_type == "fiat" or asset.platform == "fiat":
        return "fiat"
    if _is_chain(asset):
        return "defi-llama"
    return None


def _is_chain(asset: PricedAsset) -> bool:
    return bool(asset.platform and asset.platform.startswith("chain."))


def build_price_registry(
    settings: PriceSettings | None = None,
    *,
    ccxt_factory: CcxtFactory = ccxt_provider,
    on_skipped: SkipReport = log_skipped,
    keep_usd_rates: bool = False,
) -> PriceProviderRegistry:
    """The default providers: the ccxt exchanges, DefiLlama, Yahoo, metals, fiat and TEFAS.
    Each tells ``on_skipped`` of the prices it skipped (``price_checks``).

    ``keep_usd_rates``: the USD rates of each currency are fetched once for all the providers'
    assets (``UsdConverter``), for a registry of one "Fetch asset prices" run.
    """
    settings = settings or PriceSettings()
    limiter = HostRateLimiter(settings.requests_per_second_per_host, settings.burst_per_host)
    policy = FetchPolicy(timeout_s=settings.timeout_s, max_retries=settings.max_retries)

    def fetcher(name: str, error_detail: ErrorDetail | None = None) -> JsonFetcher:
        return JsonFetcher(name, policy=policy, limiter=limiter, error_detail=error_detail)

    worker = SeriesWorker()
    yahoo = YahooChartClient(
        fetcher(YAHOO_NAME, yahoo_error_detail),
        base_url=settings.yahoo_url,
        on_skipped=on_skipped,
        worker=worker,
    )
    fiat = FiatProvider(yahoo)
    usd = UsdConverter(fiat, keep_rates=keep_usd_rates, worker=worker)
    providers: list[PriceProvider] = [
        ccxt_factory(
            exchange, EXCHANGE_PRIORITIES.get(exchange, 3), settings.ccxt_timeout_ms, on_skipped
        )
        for exchange in settings.ccxt_exchanges
    ]
    providers += [
        DefiLlamaProvider(
            fetcher(DefiLlamaProvider.name),
            base_url=settings.defillama_url,
            on_skipped=on_skipped,
        ),
        YahooProvider(yahoo, usd=usd),
        MetalsProvider(yahoo),
        fiat,
        TefasProvider(
            fetcher(TefasProvider.name),
            usd=usd,
            base_url=settings.tefas_url,
            on_skipped=on_skipped,
        ),
    ]
    return PriceProviderRegistry(providers, worker=worker)
