"""Assets through the daemon: my assets enriched from the lookup, preferences, search, and the
coin-list refresh against a local stand-in."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from privatefolio_daemon.settings import Limits
from tests.api.importing import wait_for_task
from tests.api.manual_entries import STOCK_BUY, SWAP, T, until
from tests.conftest import make_config, running_daemon, ws_url
from tests.standins.background_server import serve_in_thread

COINS = [
    {"id": "decentraland", "symbol": "mana", "name": "Decentraland", "platforms": {}},
    {"id": "mana-clone", "symbol": "mana", "name": "Not MANA", "market_cap_rank": 900},
    {"id": "mana-real", "symbol": "MANA", "name": "Ranked MANA", "market_cap_rank": 40},
    {"id": "loom-network", "symbol": "loom", "name": "Loom", "platforms": {"ethereum": "0xa4e8"}},
    {"bad": "entry"},
]


class CoinListStandIn:
    def __init__(self) -> None:
        self.requests = 0
        self.status = 200
        self.delay = 0.0
        self.app = web.Application()
        self.app.router.add_get("/coins/list", self.coins)
        self.app.router.add_get("/coins/empty", self.empty)
        self.app.router.add_get("/coins/large", self.large)

    async def empty(self, _: web.Request) -> web.Response:
        return web.json_response([])

    async def large(self, request: web.Request) -> web.StreamResponse:
        """20,000 coins (about 1.6 MB), sent in pieces of 64 KiB as a real server sends them."""
        self.requests += 1
        body = orjson.dumps(
            [
                {"id": f"coin-{n}", "symbol": f"c{n}", "name": f"Coin {n}", "platforms": {}}
                for n in range(20_000)
            ]
        )
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        for start in range(0, len(body), 65_536):
            await response.write(body[start : start + 65_536])
            await asyncio.sleep(0.001)
        await response.write_eof()
        return response

    async def coins(self, request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="down")
        return web.json_response(COINS)


@pytest.fixture
def coin_server() -> Iterator[tuple[CoinListStandIn, str]]:
    stand_in = CoinListStandIn()
    with serve_in_thread(stand_in.app) as url:
        yield stand_in, f"{url}/coins/list"


async def with_coin_list(client: DaemonClient, url: str) -> None:
    """The account "main", with the coin list at ``url`` downloaded."""
    await client.call("createAccount", "main")
    await client.call("updateServerSettings", {"coinListUrl": url})
    await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))


def task_messages(daemon: Daemon, task_id: int) -> list[str]:
    log = daemon.accounts.logs_dir("main") / f"server_task_{task_id}.log"
    return [line[25:] for line in log.read_text().splitlines()]


async def test_my_assets_are_enriched_from_the_starter_list(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    assert await client.call("getMyAssets", "main") == [
        {
            "id": "ex.binance:ETH",
            "name": "Ethereum",
            "coingeckoId": "ethereum",
            "firstOwnedAt": T,
            "symbol": "ETH",
            "type": "crypto",
        },
        {"id": "ex.binance:MANA", "firstOwnedAt": T, "symbol": "MANA", "type": "crypto"},
        {
            "id": "fiat:USD",
            "name": "US Dollar",
            "firstOwnedAt": T + 1000,
            "symbol": "USD",
            "type": "fiat",
        },
        {
            "id": "stock:AAPL",
            "name": "Apple Inc.",
            "firstOwnedAt": T + 1000,
            "symbol": "AAPL",
            "type": "stock",
        },
    ]


async def test_preferences_win_and_null_clears(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    changes: list[tuple[()]] = []
    await client.call("subscribeToMetadata", "main", lambda: changes.append(()))
    await client.call(
        "patchAsset", "main", "stock:AAPL", {"favorite": True, "priceApiId": "yahoo", "name": "A"}
    )
    await client.call("patchAsset", "main", "fund:SPY", {"favorite": True})
    assert await client.call("getAsset", "main", "stock:AAPL") == {
        "id": "stock:AAPL",
        "name": "A",
        "priceApiId": "yahoo",
        "favorite": True,
        "firstOwnedAt": T + 1000,
        "symbol": "AAPL",
        "type": "stock",
    }
    await client.call("patchAsset", "main", "stock:AAPL", {"priceApiId": None, "name": None})
    aapl = await client.call("getAsset", "main", "stock:AAPL")
    assert (aapl["name"], "priceApiId" in aapl, aapl["favorite"]) == ("Apple Inc.", False, True)
    my_ids = [asset["id"] for asset in await client.call("getMyAssets", "main")]
    assert my_ids == ["fiat:USD", "fund:SPY", "stock:AAPL"]
    spy = await client.call("getAsset", "main", "fund:SPY")
    assert spy == {
        "id": "fund:SPY",
        "name": "SPDR S&P 500 ETF Trust",
        "favorite": True,
        "symbol": "SPY",
        "type": "fund",
    }
    await client.call("upsertAsset", "main", {"id": "metal:XAU", "logoUrl": "/gold.png"})
    gold = await client.call("getAsset", "main", "metal:XAU")
    assert (gold["name"], gold["logoUrl"], gold["type"]) == (
        "Gold (troy ounce)",
        "/gold.png",
        "metal",
    )
    await until(lambda: len(changes) >= 4)

    task_id = await client.call("enqueueDeleteAssetPreferences", "main", "user")
    task = await wait_for_task(client, task_id)
    assert (task["name"], task["priority"], task["status"]) == (
        "Delete asset preferences",
        7,
        "completed",
    )
    assert [asset["id"] for asset in await client.call("getMyAssets", "main")] == [
        "fiat:USD",
        "stock:AAPL",
    ]
    assert await client.call("getAsset", "main", "nothing:NOPE") is None


async def test_blank_ids_are_none_and_pasted_spaces_are_dropped(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    token = "chain.ethereum:0x1d462414fe14cf489c7A21CaC78509f4bF8CD7c0:CAN"
    await client.call("patchAsset", "main", token, {"coingeckoId": "   ", "name": " "})
    await client.call("upsertAsset", "main", {"id": " stock:AAPL ", "priceApiId": " yahoo "})

    can = await client.call("getAsset", "main", token)
    # With no coingeckoId, the token is not listed, so spam detection still looks at it.
    assert ("coingeckoId" in can, "name" in can) == (False, False)
    aapl = await client.call("getAsset", "main", "stock:AAPL")
    assert (aapl["id"], aapl["priceApiId"]) == ("stock:AAPL", "yahoo")


async def test_find_assets(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    found = await client.call("findAssets", "main", "usd", 3)
    assert [asset["id"] for asset in found] == ["fiat:USD", "crypto:USDT", "crypto:USDC"]
    strict = await client.call("findAssets", "main", "apple", 5, True)
    assert strict == []
    loose = await client.call("findAssets", "main", "apple", 5, False)
    assert [asset["id"] for asset in loose] == ["stock:AAPL"]
    by_contract = await client.call(
        "findAssets", "main", "0xdac17f958d2ee523a2206206994597c13d831ec7"
    )
    assert [asset["id"] for asset in by_contract] == ["crypto:USDT"]
    mine = await client.call("findAssets", "main", "ma", 5, False, "my-assets")
    assert [asset["id"] for asset in mine] == ["ex.binance:MANA"]


STARTER_ETHEREUM_TOKENS = [
    "crypto:USDT",
    "crypto:USDC",
    "crypto:DAI",
    "crypto:WETH",
    "crypto:WBTC",
    "crypto:LINK",
    "crypto:UNI",
]


async def test_assets_by_platform(
    client: DaemonClient, coin_server: tuple[CoinListStandIn, str]
) -> None:
    ethereum = await client.call("getAssetsByPlatform", "chain.ethereum")
    assert [asset["id"] for asset in ethereum] == STARTER_ETHEREUM_TOKENS
    assert ethereum[0] == {
        "id": "crypto:USDT",
        "symbol": "USDT",
        "name": "Tether",
        "type": "crypto",
        "coingeckoId": "tether",
        "platforms": {"ethereum": "0xdAC17F958D2ee523a2206206994597C13D831ec7"},
    }
    assert await client.call("getAssetsByPlatform", "chain.polygon-pos") == []
    assert await client.call("getAssetsByPlatform", "ex.binance") == []

    _, url = coin_server
    await with_coin_list(client, url)

    ethereum = await client.call("getAssetsByPlatform", "chain.ethereum")
    assert [asset["id"] for asset in ethereum] == [
        *STARTER_ETHEREUM_TOKENS,
        "coingecko:loom-network:LOOM",
    ]


async def test_refetch_downloads_caches_and_enriches(
    client: DaemonClient, daemon: Daemon, coin_server: tuple[CoinListStandIn, str]
) -> None:
    stand_in, url = coin_server
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("updateServerSettings", {"coinListUrl": url})
    task = await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))
    assert (task["name"], task["priority"], task["status"]) == ("Refetch assets", 7, "completed")
    assert task_messages(daemon, task["id"]) == [
        '[null,"Starting task"]',
        f'[0,"Downloading the coin list from {url}"]',
        '[60,"Saving 4 coins"]',
        '[100,"Done"]',
    ]
    assert (daemon.config.data_dir / "cache" / "coins" / "all.json").is_file()
    mana = await client.call("getAsset", "main", "ex.binance:MANA")
    assert mana == {
        "id": "ex.binance:MANA",
        "name": "Ranked MANA",
        "coingeckoId": "mana-real",
        "marketCapRank": 40,
        "firstOwnedAt": T,
        "symbol": "MANA",
        "type": "crypto",
    }
    eth = await client.call("getAsset", "main", "ex.binance:ETH")
    assert eth["coingeckoId"] == "ethereum"  # the starter list wins over the coin list
    token = "chain.ethereum:0xA4e8C3Ec456107eA67d3075bF9e3DF3A75823DB0:LOOM"
    assert (await client.call("getAsset", "main", token)) is None
    assert stand_in.requests == 1

    task = await wait_for_task(
        client, await client.call("enqueueRefetchAssets", "main", "user", True)
    )
    assert (
        task_messages(daemon, task["id"])[-1] == '[100,"The coin list is already cached (4 coins)"]'
    )
    assert stand_in.requests == 1


async def test_the_cached_list_survives_a_restart(
    tmp_path: Path, coin_server: tuple[CoinListStandIn, str]
) -> None:
    _, url = coin_server
    config = make_config(tmp_path / "data")
    for step in ("download", "read back"):
        daemon = Daemon(config)
        await daemon.start()
        client = await DaemonClient.connect(
            ws_url(daemon), token=daemon.credentials.desktop_token()
        )
        try:
            if step == "download":
                await client.call("createAccount", "main")
                await client.call("updateServerSettings", {"coinListUrl": url})
                await wait_for_task(
                    client, await client.call("enqueueRefetchAssets", "main", "user")
                )
            else:
                found = await client.call("findAssets", "main", "decentraland", 1)
                assert [asset["id"] for asset in found] == ["coingecko:decentraland:MANA"]
        finally:
            await client.close()
            await daemon.stop()


@pytest.mark.parametrize(
    ("status", "delay", "error"),
    [
        (500, 0.0, "Error: Could not download the coin list from {url}: HTTP 500"),
        (200, 1.0, "Error: Could not download the coin list from {url}: no answer within 0.3 s"),
    ],
)
async def test_refetch_failures_are_clear(
    tmp_path: Path,
    coin_server: tuple[CoinListStandIn, str],
    status: int,
    delay: float,
    error: str,
) -> None:
    stand_in, url = coin_server
    stand_in.status, stand_in.delay = status, delay
    config = replace(make_config(tmp_path / "data"), limits=Limits(coin_list_timeout_seconds=0.3))
    daemon = Daemon(config)
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    try:
        await client.call("createAccount", "main")
        await client.call("updateServerSettings", {"coinListUrl": url})
        task = await wait_for_task(
            client, await client.call("enqueueRefetchAssets", "main", "user")
        )
        assert (task["status"], task["errorMessage"]) == ("failed", error.format(url=url))
        assert not (tmp_path / "data" / "cache" / "coins" / "all.json").exists()
    finally:
        await client.close()
        await daemon.stop()


async def test_platforms(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", {**SWAP, "platformId": "ex.unknown"}, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    assert await client.call("getMyPlatforms", "main") == [
        {"id": "app.generic", "name": "Generic CSV", "type": "app"},
        {"id": "ex.unknown", "name": "ex.unknown"},
    ]
    ethereum = await client.call("getPlatform", "chain.ethereum")
    assert ethereum == {
        "id": "chain.ethereum",
        "name": "Ethereum",
        "type": "blockchain",
        "chainId": 1,
        "nativeSymbol": "ETH",
        "nativeCoinId": "ethereum",
    }
    assert await client.call("getPlatform", "ex.nowhere") is None
    blockchains = await client.call("getBlockchains")
    assert blockchains[0]["id"] == "chain.ethereum"
    assert {platform["type"] for platform in blockchains} == {"blockchain"}
    exchanges = [platform["id"] for platform in await client.call("getExchanges")]
    assert exchanges[:3] == ["ex.binance", "ex.coinbase", "ex.kraken"]
    assert len(await client.call("getAllPlatforms")) == len(blockchains) + 11
    found = await client.call("findPlatforms", "main", "bin", 5, False, "coingecko")
    assert [platform["id"] for platform in found] == ["chain.binance-smart-chain", "ex.binance"]
    # Every chain the Etherscan importers know has its native coin listed, so never spam.
    bnb = await client.call("getAsset", "main", f"chain.binance-smart-chain:0x{'0' * 40}:BNB")
    assert bnb["coingeckoId"] == "binancecoin"
    assert {"chain.avalanche", "chain.xdai", "chain.fantom", "chain.celo", "chain.cronos"} < {
        platform["id"] for platform in blockchains
    }


async def test_bad_asset_input(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertAsset", "main", {"id": " "})
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "An asset needs an id, e.g. stock:AAPL or ex.binance:BTC",
    )
    for bare in ("AAPL", ":BTC", "crypto:"):
        with pytest.raises(RpcCallError) as caught:
            await client.call("patchAsset", "main", bare, {"favorite": True})
        assert (caught.value.code, caught.value.message) == (
            -32602,
            f'"{bare}" is not an asset id: write <platform>:<symbol>, e.g. stock:AAPL, fiat:EUR '
            "or ex.binance:BTC",
        )
    assert await client.call("getMyAssets", "main") == []
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchAsset", "main", "stock:AAPL", {"favorite": "yes"})
    assert caught.value.code == -32602
    before = await client.call("getAsset", "main", "stock:AAPL")
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchAsset", "main", "stock:AAPL", {"coingeckoID": "apple"})
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Invalid params: 'patch' has no key 'coingeckoID' (its keys are: favorite, priceApiId, "
        "name, logoUrl, coingeckoId)",
    )
    assert await client.call("getAsset", "main", "stock:AAPL") == before


async def test_upsert_asset_refuses_a_misspelt_key_and_takes_back_what_get_asset_gave(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("patchAsset", "main", "crypto:BTC", {"favorite": True})
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertAsset", "main", {"id": "crypto:BTC", "favourite": False})
    assert (caught.value.code, caught.value.message) == (
        -32602,
        "Invalid params: 'asset' has no key 'favourite' (its keys are: favorite, priceApiId, "
        "name, logoUrl, coingeckoId, id, symbol, type, firstOwnedAt, marketCapRank, platforms)",
    )
    bitcoin = await client.call("getAsset", "main", "crypto:BTC")
    assert bitcoin["favorite"] is True
    await client.call("upsertAsset", "main", {**bitcoin, "priceApiId": "coinbase"})
    assert await client.call("getAsset", "main", "crypto:BTC") == {
        **bitcoin,
        "priceApiId": "coinbase",
    }


async def test_a_new_account_fetches_the_coin_list_once(
    tmp_path: Path, coin_server: tuple[CoinListStandIn, str]
) -> None:
    stand_in, url = coin_server
    daemon = Daemon(make_config(tmp_path / "data", crons=True))
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    try:
        await client.call("updateServerSettings", {"coinListUrl": url})
        for account in ("main", "second"):
            await client.call("createAccount", account)
            tasks = await completed_tasks(client, account, {"Refetch assets", "Refetch platforms"})
            assert {t["trigger"] for t in tasks} == {"system"}
        assert stand_in.requests == 1
        found = await client.call("findAssets", "main", "decentraland", 1)
        assert [asset["id"] for asset in found] == ["coingecko:decentraland:MANA"]
    finally:
        await client.close()
        await daemon.stop()


async def test_a_renamed_account_fetches_no_metadata_again(
    tmp_path: Path, coin_server: tuple[CoinListStandIn, str]
) -> None:
    """Its data is the same under its new name: only a new account fetches the coin list."""
    _, url = coin_server
    daemon = Daemon(make_config(tmp_path / "data", crons=True))
    await daemon.start()
    client = await DaemonClient.connect(ws_url(daemon), token=daemon.credentials.desktop_token())
    try:
        await client.call("updateServerSettings", {"coinListUrl": url})
        await client.call("createAccount", "main")
        await completed_tasks(client, "main", {"Refetch assets", "Refetch platforms"})

        await client.call("renameAccount", "main", "renamed")
        # A task queued after the rename has run: what the rename set off is queued before it.
        await wait_for_task(client, await client.call("enqueueSleep", "renamed", 0.01), "renamed")

        tasks = await client.call("getServerTasks", "renamed")
        assert [task["name"] for task in tasks] == ["Sleep", "Refetch platforms", "Refetch assets"]
    finally:
        await client.close()
        await daemon.stop()


async def completed_tasks(
    client: DaemonClient, account: str, names: set[str], timeout: float = 30
) -> list[dict[str, object]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        tasks = await client.call("getServerTasks", account)
        done = [t for t in tasks if t["name"] in names and t["status"] == "completed"]
        if {t["name"] for t in done} == names:
            return done
        assert loop.time() < deadline, f"tasks not completed: {tasks}"
        await asyncio.sleep(0.05)


async def test_a_large_coin_list_sent_in_pieces_is_read_whole(
    client: DaemonClient, daemon: Daemon, coin_server: tuple[CoinListStandIn, str]
) -> None:
    _, url = coin_server
    await client.call("createAccount", "main")
    await client.call("updateServerSettings", {"coinListUrl": url.replace("list", "large")})
    task = await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))
    assert task["status"] == "completed", task
    assert '[60,"Saving 20000 coins"]' in task_messages(daemon, task["id"])
    found = await client.call("findAssets", "main", "coin-19999", 1)
    assert [asset["id"] for asset in found] == ["coingecko:coin-19999:C19999"]


async def test_an_empty_coin_list_is_refused_and_the_cache_kept(
    client: DaemonClient, coin_server: tuple[CoinListStandIn, str]
) -> None:
    _, url = coin_server
    await with_coin_list(client, url)
    empty = url.replace("list", "empty")
    await client.call("updateServerSettings", {"coinListUrl": empty})

    task = await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))

    assert (task["status"], task["errorMessage"]) == (
        "failed",
        f"Error: The coin list from {empty} is empty",
    )
    assert (await client.call("getAsset", "main", "ex.binance:MANA"))["coingeckoId"] == "mana-real"


async def test_an_unreadable_cache_is_downloaded_again_even_only_if_needed(
    tmp_path: Path, coin_server: tuple[CoinListStandIn, str]
) -> None:
    stand_in, url = coin_server
    config = make_config(tmp_path / "data")
    cache = config.data_dir / "cache" / "coins" / "all.json"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(orjson.dumps(COINS)[:50])
    async with running_daemon(config) as (_, client):
        await client.call("createAccount", "main")
        await client.call("updateServerSettings", {"coinListUrl": url})
        task_id = await client.call("enqueueRefetchAssets", "main", "user", True)
        assert (await wait_for_task(client, task_id))["status"] == "completed"
        assert (await client.call("getAsset", "main", "ex.binance:MANA"))["name"] == "Ranked MANA"
    assert stand_in.requests == 1
    assert orjson.loads(cache.read_bytes())[0]["id"] == "decentraland"


async def test_a_coin_list_refresh_tells_every_account(
    client: DaemonClient, coin_server: tuple[CoinListStandIn, str]
) -> None:
    _, url = coin_server
    seen: list[str] = []
    for name in ("main", "other"):
        await client.call("createAccount", name)
        await client.call("subscribeToMetadata", name, lambda name=name: seen.append(name))
    await client.call("updateServerSettings", {"coinListUrl": url})

    await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))

    await until(lambda: {"main", "other"} <= set(seen))


@pytest.mark.parametrize("url", [5, "", "ftp://x/coins", "not a url", "http://[bad", "https://"])
async def test_a_coin_list_url_that_is_not_one_is_refused_when_set(
    client: DaemonClient, url: object
) -> None:
    before = await client.call("getServerSettings")
    with pytest.raises(RpcCallError) as caught:
        await client.call("updateServerSettings", {"coinListUrl": url})
    assert (caught.value.code, caught.value.message) == (
        -32602,
        f"The coin list URL must be an http:// or https:// address, not {url!r}",
    )
    assert await client.call("getServerSettings") == before
    await client.call("updateServerSettings", {"coinListUrl": None})  # back to the default


async def test_a_cached_list_needs_no_wait_for_another_accounts_download(
    client: DaemonClient, coin_server: tuple[CoinListStandIn, str]
) -> None:
    stand_in, url = coin_server
    for name in ("main", "other"):
        await client.call("createAccount", name)
    await client.call("updateServerSettings", {"coinListUrl": url})
    await wait_for_task(client, await client.call("enqueueRefetchAssets", "main", "user"))
    stand_in.delay = 3.0
    slow = await client.call("enqueueRefetchAssets", "main", "user")
    await until(lambda: stand_in.requests == 2)

    quick = await client.call("enqueueRefetchAssets", "other", "user", True)

    assert (await wait_for_task(client, quick, "other"))["status"] == "completed"
    assert (await client.call("getServerTask", "main", slow))["status"] == "running"


async def test_a_coingecko_id_the_user_picks_names_the_asset(
    client: DaemonClient, coin_server: tuple[CoinListStandIn, str]
) -> None:
    _, url = coin_server
    await with_coin_list(client, url)
    token = "chain.ethereum:0x1d462414fe14cf489c7A21CaC78509f4bF8CD7c0:LOOMV1"

    await client.call("patchAsset", "main", token, {"coingeckoId": "loom-network"})

    asset = await client.call("getAsset", "main", token)
    assert (asset["name"], asset["coingeckoId"], asset["symbol"]) == (
        "Loom",
        "loom-network",
        "LOOMV1",
    )


async def test_an_asset_id_is_read_as_it_is_written_and_a_ticker_alone_gets_the_lookups_id(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    for written in (" stock : AAPL ", "stock:aapl", "fiat: eur", "EX.BINANCE: MANA"):
        await client.call("patchAsset", "main", written, {"favorite": True})
    assert sorted(asset["id"] for asset in await client.call("getMyAssets", "main")) == [
        "ex.binance:MANA",
        "fiat:EUR",
        "stock:AAPL",
    ]
    for typed in ("stock: aapl ", "ex.binance :MANA"):
        asset = await client.call("getAsset", "main", typed)
        assert asset is not None and asset["favorite"] is True, typed
    bitcoin = await client.call("getAsset", "main", "btc")
    assert bitcoin is not None and bitcoin["id"] != "btc"
