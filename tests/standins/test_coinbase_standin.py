"""The real ccxt ``coinbase`` client against the fake Coinbase API: what it asks, what it gets."""

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import jwt
import pytest

from tests.sources.exchanges.harness import fast_throttle
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.coinbase import CoinbaseStandin, configure_coinbase_for_standin
from tests.standins.exchanges.coinbase_records import (
    CdpKey,
    CoinbaseFill,
    crypto_receive,
    fill_entry,
    new_cdp_key,
)

KEY = new_cdp_key("3c2b1a09-8f7e-4d6c-b5a4-938271605f4e")
OTHER_KEY = new_cdp_key("3c2b1a09-8f7e-4d6c-b5a4-938271605f4e")  # same name, other private key
T = 1_700_000_000_000
ACCOUNTS = "/api/v3/brokerage/accounts"
FILLS = "/api/v3/brokerage/orders/historical/fills"


def fill(number: int) -> CoinbaseFill:
    return CoinbaseFill(
        f"t{number}", f"o{number}", "BTC-USD", "BUY", "30000", "0.01", "1.8", T + number
    )


@pytest.fixture
def standin() -> CoinbaseStandin:
    standin = CoinbaseStandin()
    standin.add_currency("USD", "US Dollar", fiat=True)
    standin.add_currency("BTC", "Bitcoin")
    standin.add_currency("ETH", "Ethereum")
    standin.add_product("BTC", "USD")
    standin.add_product("ETH", "BTC")
    account = standin.add_account(KEY)
    account.add_wallet("USD", "598.20", "100", fiat=True)
    account.add_wallet("BTC", "0.0049")
    account.fills = [fill(n) for n in range(1, 6)]
    return standin


@pytest.fixture
def url(standin: CoinbaseStandin) -> Iterator[str]:
    with serve_in_thread(standin.app()) as base_url:
        yield base_url


async def client_for(url: str, key: CdpKey) -> Any:
    exchange = ccxt.coinbase({"apiKey": key.name, "secret": key.private_pem})
    configure_coinbase_for_standin(exchange, url)
    fast_throttle(exchange)
    return exchange


@pytest.fixture
async def coinbase(url: str) -> AsyncIterator[Any]:
    exchange = await client_for(url, KEY)
    yield exchange
    await exchange.close()


async def test_load_markets_reads_currencies_and_spot_products(
    standin: CoinbaseStandin, coinbase: Any
) -> None:
    markets = await coinbase.load_markets()
    assert sorted(markets) == ["BTC/USD", "ETH/BTC"]
    assert (markets["BTC/USD"]["id"], markets["BTC/USD"]["spot"]) == ("BTC-USD", True)
    assert sorted(standin.control.paths()) == [
        "/api/v3/brokerage/market/products",
        "/api/v3/brokerage/market/products",
        "/api/v3/brokerage/transaction_summary",
        "/v2/currencies",
        "/v2/currencies/crypto",
        "/v2/exchange-rates",
    ]
    assert standin.rejections == []


async def test_requests_carry_an_es256_jwt_for_their_method_and_url(
    standin: CoinbaseStandin, coinbase: Any, url: str
) -> None:
    balance = await coinbase.fetch_balance()
    assert balance["total"] == {"USD": 698.2, "BTC": 0.0049}
    assert balance["USD"] == {"free": 598.2, "used": 100.0, "total": 698.2}
    [request] = standin.control.requests_to(ACCOUNTS)
    scheme, token = request.headers["Authorization"].split(" ")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (scheme, header["alg"], header["kid"], claims["sub"]) == (
        "Bearer",
        "ES256",
        KEY.name,
        KEY.name,
    )
    assert claims["uri"] == f"GET {url}{ACCOUNTS}"
    assert claims["exp"] - claims["nbf"] == 120
    assert request.query == {"limit": "250"}


async def test_balances_are_paged_by_cursor(standin: CoinbaseStandin, coinbase: Any) -> None:
    account = standin.accounts[KEY.name]
    for number in range(300):
        account.add_wallet(f"C{number:03d}", "0")
    account.wallet("C299").available = "7.5"
    balance = await coinbase.fetch_balance()
    assert balance["total"]["C299"] == 7.5
    queries = [r.query for r in standin.control.requests_to(ACCOUNTS)]
    assert queries == [{"limit": "250"}, {"limit": "250", "cursor": "250"}]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (new_cdp_key("unknown"), "unknown key"),
        (OTHER_KEY, "InvalidSignatureError: Signature verification failed"),
    ],
    ids=["unknown key", "wrong private key"],
)
async def test_a_bad_key_is_an_authentication_error(
    standin: CoinbaseStandin, url: str, key: CdpKey, reason: str
) -> None:
    exchange = await client_for(url, key)
    try:
        with pytest.raises(ccxt.AuthenticationError) as failure:
            await exchange.load_markets()
    finally:
        await exchange.close()
    assert str(failure.value) == (
        f"coinbase GET {url}/api/v3/brokerage/transaction_summary 401 Unauthorized Unauthorized"
    )
    assert standin.rejections == [reason]


def token_for(key: CdpKey, uri: str, nbf: int, lifetime: int = 120) -> str:
    claims = {"sub": key.name, "iss": "cdp", "nbf": nbf, "exp": nbf + lifetime, "uri": uri}
    return jwt.encode(claims, key.private_pem, algorithm="ES256", headers={"kid": key.name})


@pytest.mark.parametrize(
    ("path_in_token", "age", "lifetime", "reason"),
    [
        (FILLS, 0, 120, "uri claim 'GET {url}" + FILLS + "' is not 'GET {url}" + ACCOUNTS + "'"),
        (ACCOUNTS, 200, 120, "ExpiredSignatureError: Signature has expired"),
        (ACCOUNTS, 0, 600, "token lives longer than 120 s"),
    ],
    ids=["token of another path", "expired token", "token living too long"],
)
async def test_tokens_are_checked_like_coinbase_does(
    standin: CoinbaseStandin,
    url: str,
    path_in_token: str,
    age: int,
    lifetime: int,
    reason: str,
) -> None:
    token = token_for(KEY, f"GET {url}{path_in_token}", int(time.time()) - age, lifetime)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}{ACCOUNTS}", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert (response.status, await response.text()) == (401, "Unauthorized\n")
    assert standin.rejections == [reason.format(url=url)]
    good = token_for(KEY, f"GET {url}{ACCOUNTS}", int(time.time()))
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{url}{ACCOUNTS}", headers={"Authorization": f"Bearer {good}"}) as response,
    ):
        assert response.status == 200


async def test_my_trades_are_paged_by_cursor_newest_first(
    standin: CoinbaseStandin, coinbase: Any
) -> None:
    pages: list[list[str]] = []
    params: dict[str, str] = {}
    while True:
        page = await coinbase.fetch_my_trades(None, T + 2, 2, params)
        pages.append(sorted(trade["id"] for trade in page))
        cursor = next((t["info"]["cursor"] for t in page if t["info"].get("cursor")), None)
        if cursor is None:
            break
        params = {"cursor": cursor}
    assert pages == [["t4", "t5"], ["t2", "t3"]]
    queries = [r.query for r in standin.control.requests_to(FILLS)]
    assert [q.get("cursor") for q in queries] == [None, "2"]
    assert queries[0]["start_sequence_timestamp"] == "2023-11-14T22:13:20.002Z"
    first = (await coinbase.fetch_my_trades(None, T + 1, 1))[0]
    assert (first["symbol"], first["side"], first["price"], first["amount"], first["cost"]) == (
        "BTC/USD",
        "buy",
        30000.0,
        0.01,
        300.0,
    )
    assert first["fee"] == {"cost": 1.8, "currency": "USD"}


async def test_an_account_transaction_list_is_paged_by_starting_after(
    standin: CoinbaseStandin, coinbase: Any
) -> None:
    account = standin.accounts[KEY.name]
    btc = account.wallet("BTC")
    for number in range(3):
        at = T + number * 1000  # v2 times are whole seconds
        account.add_transaction(crypto_receive(f"r{number}", "BTC", "0.1", at, "0xh"))
    account.add_transaction(fill_entry("f9", "BTC", "0.01", T + 9000))
    first = await coinbase.fetch_ledger(None, None, 3, {"account_id": btc.uuid})
    assert [entry["id"] for entry in first] == ["r1", "r2", "f9"]
    assert first[-1]["info"]["next_starting_after"] == "r1"
    rest = await coinbase.fetch_ledger(
        None, None, 3, {"account_id": btc.uuid, "starting_after": "r1"}
    )
    assert [entry["id"] for entry in rest] == ["r0"]
    assert "next_starting_after" not in rest[-1]["info"]


async def test_a_429_is_a_rate_limit_error(standin: CoinbaseStandin, coinbase: Any) -> None:
    await coinbase.load_markets()
    standin.control.answer_429(1)
    with pytest.raises(ccxt.RateLimitExceeded):
        await coinbase.fetch_balance()
    assert (await coinbase.fetch_balance())["total"]["BTC"] == 0.0049
