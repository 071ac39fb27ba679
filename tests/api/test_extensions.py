"""Extensions through the daemon: what it can import, connect to and price with, as the frontend
lists it, and a check that the list names every format, connection and price API the code has."""

import pytest

from privatefolio_daemon import __version__
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.domain.connection_sources import EVM_EXTENSION
from privatefolio_daemon.domain.price_registry import build_registry
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.importers.registry import PARSERS

BINANCE = {
    "id": "ex.binance",
    "name": "Binance",
    "type": "exchange",
    "url": "https://www.binance.com",
}


async def test_one_extension_with_its_platforms(client: DaemonClient) -> None:
    assert await client.call("getExtension", "binance-file-import") == {
        "id": "binance-file-import",
        "extensionType": "file-import",
        "extensionName": "Binance account statement",
        "description": "Reads the account statement CSV of Binance: deposits, withdrawals, "
        "rewards, fees and trades. The buys and sells of one second become a swap.",
        "howTo": "BinanceHelp",
        "instructions": "On Binance, export the transaction history of your account as a CSV "
        "(columns User_ID, UTC_Time, Account, Operation, Coin, Change, Remark) and import that "
        "file.",
        "platformIds": ["ex.binance"],
        "platforms": [BINANCE],
        "authorGithub": "privatefolio-daemon",
        "extensionLogoUrl": "$STATIC_ASSETS/extensions/binance.svg",
        "extensionVersion": __version__,
        "githubUrl": "",
        "publishedAt": 1796169600000,
        "updatedAt": 1796169600000,
    }
    assert await client.call("getExtension", "no-such-extension") is None
    evm = await client.call("getExtension", "etherscan-connection")
    assert [platform["id"] for platform in evm["platforms"]] == [
        "chain.ethereum",
        "chain.arbitrum-one",
        "chain.optimistic-ethereum",
        "chain.base",
        "chain.polygon-pos",
    ]
    assert evm["platforms"][0]["chainId"] == 1


async def test_lists_are_sorted_by_name_and_filtered(client: DaemonClient) -> None:
    every = await client.call("getExtensions")
    names = [extension["extensionName"] for extension in every]
    assert names == sorted(names, key=str.casefold)
    assert len(every) == 20
    documented = await client.call("getExtensions", True)
    assert [(e["id"], e["howTo"]) for e in documented] == [
        ("binance-file-import", "BinanceHelp"),
        ("etherscan-file-import", "EtherscanHelp"),
        ("privatefolio-file-import", "PrivatefolioHelp"),
    ]
    assert all(
        extension["instructions"]
        for extension in every
        if extension["extensionType"] in ("file-import", "connection")
    )
    assert [e["id"] for e in await client.call("getExtensionsByType", "connection")] == [
        "binance-connection",
        "coinbase-connection",
        "etherscan-connection",
        "kraken-connection",
    ]


async def test_find_extensions(client: DaemonClient) -> None:
    found = await client.call("findExtensions", "  KRAKEN ")
    assert [extension["id"] for extension in found] == ["kraken-connection"]
    by_description = await client.call("findExtensions", "troy ounce", 5)
    assert [extension["id"] for extension in by_description] == ["metals-price-api"]
    limited = await client.call("findExtensions", "csv", 2)
    assert [extension["id"] for extension in limited] == [
        "binance-file-import",
        "blockpit-file-import",
    ]
    assert await client.call("findExtensions", "   ") == []


async def test_an_unknown_type_names_the_choices(client: DaemonClient) -> None:
    with pytest.raises(RpcCallError) as caught:
        await client.call("getExtensionsByType", "plugin")
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Invalid params: 'type' must be one of 'file-import', 'connection', 'price-api', "
        "'metadata'",
    )


async def test_every_format_connection_and_price_api_is_listed(client: DaemonClient) -> None:
    by_type = {
        kind: {e["id"] for e in await client.call("getExtensionsByType", kind)}
        for kind in ("file-import", "connection", "price-api")
    }
    assert {parser.extension_id for parser in PARSERS} == by_type["file-import"]
    assert {EVM_EXTENSION, "binance-connection"} <= by_type["connection"]
    registry = build_registry(PriceFetchSettings())
    try:
        providers = {f"{provider.id}-price-api" for provider in registry.providers}
    finally:
        await registry.close()
    assert providers == by_type["price-api"]
