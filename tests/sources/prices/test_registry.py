from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import PricedAsset
from privatefolio_daemon.sources.prices.ccxt_ohlcv import CcxtOhlcvProvider
from privatefolio_daemon.sources.prices.price_checks import SkipReport
from privatefolio_daemon.sources.prices.price_settings import PriceSettings
from privatefolio_daemon.sources.prices.registry import (
    PRICE_API_IDS,
    PriceProviderRegistry,
    build_price_registry,
)
from tests.processes import packages_loaded_by
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import (
    DefiLlamaChartStandin,
    TefasHistoryStandin,
    YahooCandle,
    YahooChartStandin,
)

USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"


@pytest.fixture
def registry() -> PriceProviderRegistry:
    return build_price_registry()


def test_default_providers_in_priority_order(registry: PriceProviderRegistry) -> None:
    assert [(p.id, p.name, p.priority) for p in registry.providers] == [
        ("coinbase", "Coinbase", 1),
        ("binance", "Binance", 2),
        ("defi-llama", "DefiLlama", 5),
        ("yahoo", "Yahoo Finance", 5),
        ("metals", "Metals", 5),
        ("fiat", "Fiat", 5),
        ("tefas", "TEFAS", 5),
    ]
    assert all(isinstance(registry.get(i), CcxtOhlcvProvider) for i in ("coinbase", "binance"))
    assert sorted(p.id for p in registry.providers) == list(PRICE_API_IDS)


def test_the_ccxt_factory_gets_exchange_priority_and_timeout() -> None:
    built: list[tuple[str, int, int]] = []

    def factory(
        exchange_id: str, priority: int, timeout_ms: int, on_skipped: SkipReport
    ) -> CcxtOhlcvProvider:
        built.append((exchange_id, priority, timeout_ms))
        return CcxtOhlcvProvider(exchange_id, priority=priority, timeout_ms=timeout_ms)

    settings = PriceSettings(ccxt_exchanges=("kraken", "binance"), ccxt_timeout_ms=5_000)
    registry = build_price_registry(settings, ccxt_factory=factory)

    assert built == [("kraken", 3, 5_000), ("binance", 2, 5_000)]
    assert [p.id for p in registry.providers][:2] == ["binance", "kraken"]


@pytest.mark.parametrize(
    ("asset", "expected"),
    [
        (PricedAsset("ex.binance:ETH", "ETH", "crypto", "ex.binance"), ["binance"]),
        (PricedAsset("gov.us-sec:320193:AAPL", "AAPL", "stock", "gov.us-sec"), ["yahoo"]),
        (PricedAsset("ex.nyse:SPY", "SPY", "fund", "ex.nyse"), ["yahoo"]),
        (PricedAsset("fund.tefas:TI2", "TI2", "fund", "fund.tefas"), ["tefas"]),
        (PricedAsset("metal:XAU", "XAU", "metal", "metal"), ["metals"]),
        (PricedAsset("fiat:EUR", "EUR", "fiat", "fiat"), ["fiat"]),
        (
            PricedAsset(
                f"chain.ethereum:{USDC}:USDC", "USDC", "crypto", "chain.ethereum", USDC, "usd-coin"
            ),
            ["defi-llama"],
        ),
        (PricedAsset("coinmama:BTC", "BTC", "crypto", "coinmama"), ["coinbase", "binance"]),
    ],
)
def test_provider_order_by_asset(
    registry: PriceProviderRegistry, asset: PricedAsset, expected: list[str]
) -> None:
    plan = registry.plan(asset)
    assert [p.id for p in plan.providers] == expected
    assert plan.skipped is None


def test_the_stored_price_api_id_comes_alone(registry: PriceProviderRegistry) -> None:
    btc = PricedAsset("coinmama:BTC", "BTC", "crypto", "coinmama")
    assert [p.id for p in registry.plan(btc, "binance").providers] == ["binance"]


def test_an_unknown_stored_price_api_id_falls_back(registry: PriceProviderRegistry) -> None:
    btc = PricedAsset("coinmama:BTC", "BTC", "crypto", "coinmama")
    assert [p.id for p in registry.plan(btc, "alchemy").providers] == ["coinbase", "binance"]


def test_chain_assets_without_a_coingecko_id_are_skipped(registry: PriceProviderRegistry) -> None:
    spam = PricedAsset(f"chain.ethereum:{USDC}:USDC", "USDC", "crypto", "chain.ethereum", USDC)
    for stored in (None, "defi-llama"):
        plan = registry.plan(spam, stored)
        assert plan.providers == ()
        assert plan.skipped == "Skipped USDC: No coingeckoId"


def test_an_asset_no_provider_supports_is_skipped(registry: PriceProviderRegistry) -> None:
    plan = registry.plan(PricedAsset("metal:XPT", "XPT", "metal", "metal"))
    assert plan.providers == ()
    assert plan.skipped == "Skipped XPT: No price provider"


def test_without_exchanges_binance_assets_have_no_provider() -> None:
    registry = build_price_registry(PriceSettings(ccxt_exchanges=()))
    assert [p.id for p in registry.providers] == ["defi-llama", "yahoo", "metals", "fiat", "tefas"]
    plan = registry.plan(PricedAsset("ex.binance:ETH", "ETH", "crypto", "ex.binance"))
    assert plan.skipped == "Skipped ETH: No price provider"


def test_importing_the_registry_does_not_import_ccxt() -> None:
    code = (
        "from privatefolio_daemon.sources.prices.registry import build_price_registry\n"
        "build_price_registry()\n"
    )
    assert packages_loaded_by(code, ("ccxt",)) == []


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


@dataclass
class Standins:
    yahoo: YahooChartStandin
    llama: DefiLlamaChartStandin
    tefas: TefasHistoryStandin
    settings: PriceSettings


@pytest.fixture
def standins() -> Iterator[Standins]:
    yahoo, llama, tefas = YahooChartStandin(), DefiLlamaChartStandin(), TefasHistoryStandin()
    yahoo.add_candles("GC=F", [YahooCandle(day_s(1, 2) + 18000, 2072.2, 2080.9, 2058.9, 2064.4, 1)])
    yahoo.add_candles("AAPL", [YahooCandle(day_s(1, 2) + 52200, 187.15, 188.44, 183.89, 185.64, 2)])
    llama.add_prices(f"ethereum:{USDC}", [(day_s(1, 2) + 7, 0.9998)])
    tefas.add_prices("TI2", {day_s(1, 2) * 1000: 1.234567})
    try_rate = YahooCandle(day_s(1, 2), 0.0336, 0.0336, 0.0336, 0.0336, 0)
    yahoo.add_candles("TRYUSD=X", [try_rate], gmtoffset=0, timezone="Europe/London")
    with (
        serve_in_thread(yahoo.app()) as yahoo_url,
        serve_in_thread(llama.app()) as llama_url,
        serve_in_thread(tefas.app()) as tefas_url,
    ):
        settings = PriceSettings(
            yahoo_url=yahoo_url,
            defillama_url=llama_url,
            tefas_url=tefas_url,
            ccxt_exchanges=(),
        )
        yield Standins(yahoo, llama, tefas, settings)


async def test_planned_providers_fetch_from_the_configured_urls(standins: Standins) -> None:
    registry = build_price_registry(standins.settings)
    assets = [
        PricedAsset("metal:XAU", "XAU", "metal", "metal"),
        PricedAsset("gov.us-sec:320193:AAPL", "AAPL", "stock", "gov.us-sec"),
        PricedAsset(
            f"chain.ethereum:{USDC}:USDC", "USDC", "crypto", "chain.ethereum", USDC, "usd-coin"
        ),
        PricedAsset("fund.tefas:TI2", "TI2", "fund", "fund.tefas"),
    ]
    since = until = day_s(1, 2) * 1000
    try:
        fetched = [
            await registry.plan(asset).providers[0].fetch_daily(asset, since, until)
            for asset in assets
        ]
    finally:
        await registry.close()

    assert [(s.pair, s.points[0]["time"], s.points[0]["value"]) for s in fetched] == [
        ("GC=F", day_s(1, 2), 2064.4),
        ("AAPL", day_s(1, 2), 185.64),
        (f"ethereum:{USDC}", day_s(1, 2), 0.9998),
        ("TI2-TRY", day_s(1, 2), 0.0414814512),  # 1.234567 TRY at 0.0336
    ]
    assert [r.path for r in standins.yahoo.requests] == [
        "/v8/finance/chart/GC=F",
        "/v8/finance/chart/AAPL",
        "/v8/finance/chart/TRYUSD=X",  # the TEFAS price's rate, from the fiat provider
    ]
    assert [r.path for r in standins.llama.requests] == [f"/chart/ethereum:{USDC}"]
    assert [r.path for r in standins.tefas.requests] == ["/api/DB/BindHistoryInfo"]
