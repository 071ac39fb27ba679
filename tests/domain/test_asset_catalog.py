"""The asset lookup's matching rules: exact id, native coin, contract, then ticker by type."""

from pathlib import Path

import pytest

from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.asset_ids import asset_type, contract, ticker
from privatefolio_daemon.domain.coin_list import CoinListError, parse_coin_list
from privatefolio_daemon.domain.platforms import PlatformCatalog

USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


@pytest.fixture
def catalog(tmp_path: Path) -> AssetCatalog:
    catalog = AssetCatalog(tmp_path, PlatformCatalog())
    catalog.use_coin_list(
        [
            {"id": "fake-usdt", "symbol": "usdt", "name": "Fake", "platforms": {}},
            {"id": "pepe", "symbol": "pepe", "name": "Pepe", "market_cap_rank": 30},
            {"id": "pepe-2", "symbol": "pepe", "name": "Pepe 2", "market_cap_rank": 3},
            {"id": "loom", "symbol": "loom", "platforms": {"ethereum": "0xABC"}},
            {"id": "a-iota-fake", "symbol": "iota", "name": "Fake IOTA"},
            {"id": "iota", "symbol": "iota", "name": "IOTA"},
            {"id": "solo", "symbol": "solo", "name": "Solo"},
        ]
    )
    return catalog


@pytest.mark.parametrize(
    ("asset_id", "coingecko_id"),
    [
        ("chain.ethereum:0x0000000000000000000000000000000000000000:ETH", "ethereum"),
        (
            "chain.polygon-pos:0x0000000000000000000000000000000000000000:POL",
            "polygon-ecosystem-token",
        ),
        (f"chain.ethereum:{USDT}:USDT", "tether"),
        (f"chain.ethereum:{USDT.lower()}:USDT", "tether"),
        ("chain.ethereum:0xabc:LOOM", "loom"),
        ("chain.ethereum:0x9999999999999999999999999999999999999999:USDT", None),
        ("chain.base:0xabc:LOOM", None),
        ("ex.binance:USDT", "tether"),
        ("mexc:PEPE", "pepe-2"),
        ("coingecko:pepe:PEPE", "pepe"),
        ("stock:AAPL", None),
        ("gov.us-sec:320193:AAPL", None),
        ("ex.binance:NOPE", None),
        ("ex.binance:IOTA", None),  # two coins, neither ranked: which one is not known
        ("coingecko:iota:IOTA", "iota"),
        ("ex.binance:SOLO", "solo"),
    ],
)
def test_match(catalog: AssetCatalog, asset_id: str, coingecko_id: str | None) -> None:
    match = catalog.match(asset_id)
    assert (match or {}).get("coingeckoId") == coingecko_id


def test_stocks_match_stocks_only(catalog: AssetCatalog) -> None:
    assert (catalog.match("gov.us-sec:320193:AAPL") or {})["name"] == "Apple Inc."
    assert catalog.match("ex.binance:AAPL") is None


def test_asset_ids() -> None:
    token = f"chain.ethereum:{USDT}:yveCRV-DAO"
    assert (ticker(token), contract(token), asset_type(token)) == ("YVECRV-DAO", USDT, "crypto")
    assert [asset_type(i) for i in ("fund:SPY", "metal:XAU", "fiat:EUR", "gov.us-sec:1:A")] == [
        "fund",
        "metal",
        "fiat",
        "stock",
    ]


def test_a_coin_list_that_is_not_one_is_refused() -> None:
    with pytest.raises(CoinListError, match="is not a JSON array"):
        parse_coin_list(b'{"coins": []}', "http://x")
    with pytest.raises(CoinListError, match="has no entries of the form"):
        parse_coin_list(b'[{"name": "no id"}]', "http://x")
    with pytest.raises(CoinListError, match=r"^The coin list from http://x is empty$"):
        parse_coin_list(b"[]", "http://x")


def test_coins_that_cannot_be_asset_ids_or_whose_logo_is_a_script_are_left_out() -> None:
    body = (
        b'[{"id": "weird:id", "symbol": "wrd"}, {"id": "spaced ", "symbol": "sp"},'
        b' {"id": "nosym", "symbol": ""}, {"id": "fine", "symbol": "fn",'
        b' "image": "javascript:alert(1)"}, {"id": "pic", "symbol": "pc",'
        b' "image": "https://example.com/pc.png"}]'
    )
    coins = parse_coin_list(body, "http://x")
    assert [(coin["id"], coin.get("logoUrl")) for coin in coins] == [
        ("fine", None),
        ("pic", "https://example.com/pc.png"),
    ]
