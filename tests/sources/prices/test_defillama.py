from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from privatefolio_daemon.sources.prices.base import EmptyResponse, PricedAsset, PriceFetchError
from privatefolio_daemon.sources.prices.defillama import DefiLlamaProvider, defillama_chain
from privatefolio_daemon.sources.prices.http_fetch import FetchPolicy, JsonFetcher
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import DefiLlamaChartStandin

WETH_CONTRACT = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
WETH = PricedAsset(
    f"chain.ethereum:{WETH_CONTRACT}:WETH",
    "WETH",
    "crypto",
    "chain.ethereum",
    WETH_CONTRACT,
    "weth",
)
COIN = f"ethereum:{WETH_CONTRACT}"


def day_s(month: int, day: int) -> int:
    return int(datetime(2024, month, day, tzinfo=UTC).timestamp())


def day_ms(month: int, day: int) -> int:
    return day_s(month, day) * 1000


@pytest.fixture
def llama() -> Iterator[tuple[DefiLlamaChartStandin, str]]:
    standin = DefiLlamaChartStandin()
    standin.add_prices(
        COIN,
        [
            (day_s(1, 1) + 5, 2281.42),
            (day_s(1, 2) - 20, 2352.07),  # just before midnight: belongs to Jan 2
            (day_s(1, 3) + 600, 2209.86),
            (day_s(1, 4) + 12, 2268.9),
            (day_s(1, 5) + 3, 2269.3),
            (day_s(1, 6) + 40, 2240.11),
            (day_s(1, 7) + 1, 2221.65),
        ],
        symbol="WETH",
    )
    with serve_in_thread(standin.app()) as url:
        yield standin, url


def make_provider(
    url: str, *, page_days: int = 500, timeout_s: float = 10.0, sleeps: list[float] | None = None
) -> DefiLlamaProvider:
    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    fetcher = JsonFetcher("DefiLlama", policy=FetchPolicy(timeout_s=timeout_s), sleep=record)
    return DefiLlamaProvider(fetcher, base_url=url, page_days=page_days)


async def test_prices_land_on_the_nearest_utc_day(
    llama: tuple[DefiLlamaChartStandin, str],
) -> None:
    standin, url = llama
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(WETH, day_ms(1, 1), day_ms(1, 3))
    finally:
        await provider.close()

    assert series.pair == "ethereum:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert series.points == [
        {"time": day_s(1, 1), "value": 2281.42},
        {"time": day_s(1, 2), "value": 2352.07},
        {"time": day_s(1, 3), "value": 2209.86},
    ]
    assert [(r.path, r.query) for r in standin.requests] == [
        (f"/chart/{COIN}", {"start": str(day_s(1, 1)), "span": "3", "period": "1d"})
    ]


async def test_long_ranges_are_paged_by_span(llama: tuple[DefiLlamaChartStandin, str]) -> None:
    standin, url = llama
    provider = make_provider(url, page_days=3)
    try:
        series = await provider.fetch_daily(WETH, day_ms(1, 1), day_ms(1, 7))
    finally:
        await provider.close()

    assert [(r.query["start"], r.query["span"]) for r in standin.requests] == [
        (str(day_s(1, 1)), "3"),
        (str(day_s(1, 4)), "3"),
        (str(day_s(1, 7)), "1"),
    ]
    assert [p["value"] for p in series.points] == [
        2281.42,
        2352.07,
        2209.86,
        2268.9,
        2269.3,
        2240.11,
        2221.65,
    ]


@pytest.mark.parametrize(
    ("platform", "chain"),
    [
        ("chain.ethereum", "ethereum"),
        ("chain.polygon-pos", "polygon"),
        ("chain.arbitrum-one", "arbitrum"),
        ("chain.optimistic-ethereum", "optimism"),
        ("chain.base", "base"),
        ("chain.binance-smart-chain", "bsc"),
        ("chain.avalanche", "avax"),
        ("chain.some-new-chain", "some-new-chain"),
    ],
)
def test_platform_ids_map_to_defillama_chain_names(platform: str, chain: str) -> None:
    assert defillama_chain(platform) == chain


async def test_the_request_uses_the_defillama_chain_name(
    llama: tuple[DefiLlamaChartStandin, str],
) -> None:
    standin, url = llama
    usdc = "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"
    standin.add_prices(f"polygon:{usdc}", [(day_s(1, 2), 1.0001)])
    asset = PricedAsset(
        f"chain.polygon-pos:{usdc}:USDC", "USDC", "crypto", "chain.polygon-pos", usdc, "usd-coin"
    )
    provider = make_provider(url)
    try:
        series = await provider.fetch_daily(asset, day_ms(1, 2), day_ms(1, 2))
    finally:
        await provider.close()

    assert standin.requests[0].path == f"/chart/polygon:{usdc}"
    assert series.pair == f"polygon:{usdc}"
    assert series.points == [{"time": day_s(1, 2), "value": 1.0001}]


async def test_a_429_then_success(llama: tuple[DefiLlamaChartStandin, str]) -> None:
    standin, url = llama
    standin.throttle_next(1, retry_after="2")
    sleeps: list[float] = []
    provider = make_provider(url, sleeps=sleeps)
    try:
        series = await provider.fetch_daily(WETH, day_ms(1, 1), day_ms(1, 1))
    finally:
        await provider.close()

    assert sleeps == [2.0]
    assert series.points == [{"time": day_s(1, 1), "value": 2281.42}]


async def test_a_timeout_names_provider_and_asset(
    llama: tuple[DefiLlamaChartStandin, str],
) -> None:
    standin, url = llama
    standin.delay_s = 0.6
    provider = make_provider(url, timeout_s=0.2)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(WETH, day_ms(1, 1), day_ms(1, 2))
    finally:
        await provider.close()

    assert str(caught.value) == f"DefiLlama: timed out after 0.2 s (asset {WETH.id})"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[]", "no coins object"),
        (
            b'{"coins": {"ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2": {"prices": null}}}',
            "coins['ethereum:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2'].prices is not a list",
        ),
        (
            b'{"coins": {"ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2":'
            b' {"prices": [{"timestamp": 1704067205, "price": "2281.42"}]}}}',
            "prices[0] is {'timestamp': 1704067205, 'price': '2281.42'}",
        ),
    ],
)
async def test_a_malformed_body_returns_nothing(
    llama: tuple[DefiLlamaChartStandin, str], body: bytes, reason: str
) -> None:
    standin, url = llama
    standin.malformed_body = body
    provider = make_provider(url)
    try:
        with pytest.raises(PriceFetchError) as caught:
            await provider.fetch_daily(WETH, day_ms(1, 1), day_ms(1, 2))
    finally:
        await provider.close()

    assert str(caught.value) == f"DefiLlama: malformed response: {reason} (asset {WETH.id})"


async def test_an_unknown_token_is_an_empty_response(
    llama: tuple[DefiLlamaChartStandin, str],
) -> None:
    standin, url = llama
    contract = "0x0000000000000000000000000000000000000001"
    asset = PricedAsset(
        f"chain.ethereum:{contract}:XYZ", "XYZ", "crypto", "chain.ethereum", contract, "xyz"
    )
    provider = make_provider(url)
    try:
        with pytest.raises(EmptyResponse) as caught:
            await provider.fetch_daily(asset, day_ms(1, 1), day_ms(1, 2))
    finally:
        await provider.close()

    assert str(caught.value) == f"DefiLlama: EmptyResponse (asset {asset.id})"
    assert len(standin.requests) == 1


def test_supports_only_tokens_with_a_contract() -> None:
    provider = DefiLlamaProvider(JsonFetcher("DefiLlama"))
    assert provider.supports(WETH)
    assert not provider.supports(PricedAsset("ex.binance:ETH", "ETH", "crypto", "ex.binance"))
    assert not provider.supports(PricedAsset("coinmama:BTC", "BTC", "crypto", "coinmama"))
