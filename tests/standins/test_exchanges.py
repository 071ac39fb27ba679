"""The real ccxt async clients against the fake exchanges: what they ask and what they get."""

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.binance import BinanceStandin, configure_binance_for_standin
from tests.standins.exchanges.binance_records import (
    DAY_MS,
    BinanceAccount,
    BinanceDeposit,
    BinanceTrade,
    BinanceWithdrawal,
    binance_datetime,
    now_ms,
)
from tests.standins.exchanges.kraken import (
    KrakenStandin,
    configure_kraken_for_standin,
    kraken_trade,
)

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
NOW = now_ms()
HOUR_MS = 3_600_000


def trade(trade_id: int, hours_ago: int) -> BinanceTrade:
    return BinanceTrade(
        symbol="BTCUSDT",
        id=trade_id,
        order_id=9000 + trade_id,
        price="30000.50",
        qty="0.01000000",
        commission="0.00001000",
        commission_asset="BTC",
        time=NOW - hours_ago * HOUR_MS,
        is_buyer=trade_id % 2 == 1,
    )


@pytest.fixture
def standin() -> BinanceStandin:
    standin = BinanceStandin()
    standin.add_market("BTC", "USDT")
    standin.add_market("ETH", "BTC")
    account = standin.add_account(KEY, SECRET)
    account.balances = {"BTC": ("1.50000000", "0.25000000"), "USDT": ("1200.00", "0.00")}
    account.trades = [trade(i, hours_ago=100 - i) for i in range(1, 8)]
    account.deposits = [
        BinanceDeposit("dep-1", "BTC", "0.5", "BTC", "bc1qdeposit", "tx-dep-1", NOW - 10 * DAY_MS),
        BinanceDeposit("dep-2", "USDT", "1000", "ETH", "0xdeposit", "0xtxdep2", NOW - 3 * DAY_MS),
    ]
    account.withdrawals = [
        BinanceWithdrawal("wd-1", "USDT", "100", "1", "ETH", "0xout", "0xtxwd1", NOW - 2 * DAY_MS)
    ]
    return standin


@pytest.fixture
def url(standin: BinanceStandin) -> Iterator[str]:
    with serve_in_thread(standin.app()) as base_url:
        yield base_url


@pytest.fixture
async def binance(url: str) -> AsyncIterator[Any]:
    client = ccxt.binance({"apiKey": KEY, "secret": SECRET})
    configure_binance_for_standin(client, url)
    yield client
    await client.close()


def account_of(standin: BinanceStandin) -> BinanceAccount:
    return standin.accounts[KEY]


async def test_load_markets_reads_spot_exchange_info_only(
    standin: BinanceStandin, binance: Any
) -> None:
    markets = await binance.load_markets()
    assert sorted(markets) == ["BTC/USDT", "ETH/BTC"]
    assert markets["BTC/USDT"]["id"] == "BTCUSDT"
    assert markets["BTC/USDT"]["spot"] is True
    assert standin.control.paths() == ["/api/v3/exchangeInfo"]


async def test_fetch_balance(standin: BinanceStandin, binance: Any) -> None:
    balance = await binance.fetch_balance()
    assert balance["BTC"] == {"free": 1.5, "used": 0.25, "total": 1.75}
    assert balance["USDT"] == {"free": 1200.0, "used": 0.0, "total": 1200.0}
    [request] = standin.control.requests_to("/api/v3/account")
    assert request.headers["X-MBX-APIKEY"] == KEY
    assert sorted(request.query) == ["recvWindow", "signature", "timestamp"]


async def test_fetch_my_trades_pages_by_from_id(standin: BinanceStandin, binance: Any) -> None:
    pages = []
    from_id = 0
    while True:
        page = await binance.fetch_my_trades("BTC/USDT", limit=3, params={"fromId": from_id})
        pages.append([t["id"] for t in page])
        if len(page) < 3:
            break
        from_id = int(page[-1]["id"]) + 1
    assert pages == [["1", "2", "3"], ["4", "5", "6"], ["7"]]
    queries = standin.control.requests_to("/api/v3/myTrades")
    assert [(q.query["symbol"], q.query["fromId"], q.query["limit"]) for q in queries] == [
        ("BTCUSDT", "0", "3"),
        ("BTCUSDT", "4", "3"),
        ("BTCUSDT", "7", "3"),
    ]
    first = (await binance.fetch_my_trades("BTC/USDT", limit=1, params={"fromId": 1}))[0]
    assert (first["side"], first["price"], first["amount"], first["cost"]) == (
        "buy",
        30000.5,
        0.01,
        300.005,
    )
    assert first["fee"] == {"cost": 0.00001, "currency": "BTC"}
    assert first["order"] == "9001"


async def test_fetch_my_trades_since_reads_one_24_hour_window(
    standin: BinanceStandin, binance: Any
) -> None:
    account_of(standin).trades.append(trade(8, hours_ago=10))
    since = NOW - 99 * HOUR_MS  # trade 1 is at -99 h, trade 7 at -93 h, trade 8 at -10 h
    trades = await binance.fetch_my_trades("BTC/USDT", since=since)
    assert [t["id"] for t in trades] == ["1", "2", "3", "4", "5", "6", "7"]
    [request] = standin.control.requests_to("/api/v3/myTrades")
    assert request.query["startTime"] == str(since)
    with pytest.raises(ccxt.BadRequest) as too_long:
        await binance.fetch_my_trades("BTC/USDT", since=since, params={"until": NOW})
    assert str(too_long.value) == (
        'binance {"code":-1127,"msg":"More than 24 hours between startTime and endTime."}'
    )


async def test_fetch_deposits_and_withdrawals(standin: BinanceStandin, binance: Any) -> None:
    deposits = await binance.fetch_deposits()
    assert [(d["id"], d["currency"], d["amount"], d["txid"]) for d in deposits] == [
        ("dep-1", "BTC", 0.5, "tx-dep-1"),
        ("dep-2", "USDT", 1000.0, "0xtxdep2"),
    ]
    raw = await binance.sapiGetCapitalDepositHisrec()
    assert [d["id"] for d in raw] == ["dep-2", "dep-1"]  # the API answers newest first
    assert deposits[0]["timestamp"] == NOW - 10 * DAY_MS
    assert deposits[0]["status"] == "ok"
    withdrawals = await binance.fetch_withdrawals()
    [withdrawal] = withdrawals
    assert (withdrawal["id"], withdrawal["currency"], withdrawal["amount"]) == ("wd-1", "USDT", 100)
    assert withdrawal["fee"] == {"currency": "USDT", "cost": 1.0}
    assert withdrawal["info"]["applyTime"] == binance_datetime(NOW - 2 * DAY_MS)
    recent = await binance.fetch_deposits(since=NOW - 5 * DAY_MS)
    assert [d["id"] for d in recent] == ["dep-2"]
    last = standin.control.requests_to("/sapi/v1/capital/deposit/hisrec")[-1]
    assert (last.query["startTime"], last.query["endTime"]) == (
        str(NOW - 5 * DAY_MS),
        str(NOW - 5 * DAY_MS + 90 * DAY_MS),
    )


async def test_api_key_restrictions(binance: Any) -> None:
    restrictions = await binance.sapiGetAccountApiRestrictions()
    assert restrictions["enableReading"] is True
    assert restrictions["enableWithdrawals"] is False


async def test_a_malformed_key_is_an_authentication_error(url: str) -> None:
    client = ccxt.binance({"apiKey": "short-key", "secret": SECRET})
    configure_binance_for_standin(client, url)
    try:
        with pytest.raises(ccxt.AuthenticationError) as failure:
            await client.fetch_balance()
    finally:
        await client.close()
    assert str(failure.value) == 'binance {"code":-2014,"msg":"API-key format invalid."}'


async def test_an_unknown_key_is_an_authentication_error(url: str) -> None:
    client = ccxt.binance({"apiKey": "X" * 64, "secret": SECRET})
    configure_binance_for_standin(client, url)
    try:
        with pytest.raises(ccxt.AuthenticationError) as failure:
            await client.fetch_balance()
    finally:
        await client.close()
    assert str(failure.value) == (
        'binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'
    )


async def test_a_wrong_secret_fails_the_signature_check(url: str) -> None:
    client = ccxt.binance({"apiKey": KEY, "secret": SECRET[::-1]})
    configure_binance_for_standin(client, url)
    try:
        with pytest.raises(ccxt.AuthenticationError) as failure:
            await client.fetch_balance()
    finally:
        await client.close()
    assert str(failure.value) == (
        'binance {"code":-1022,"msg":"Signature for this request is not valid."}'
    )


async def test_a_key_without_reading_permission_is_refused(
    standin: BinanceStandin, binance: Any
) -> None:
    account_of(standin).restrictions["enableReading"] = False
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        await binance.fetch_balance()


async def test_a_skewed_clock_is_an_invalid_nonce(standin: BinanceStandin, binance: Any) -> None:
    standin.clock_offset_ms = -20_000  # the client is 20 s ahead of the server
    with pytest.raises(ccxt.InvalidNonce) as ahead:
        await binance.fetch_balance()
    assert "1000ms ahead of the server's time" in str(ahead.value)
    standin.clock_offset_ms = 20_000  # the client is 20 s behind, beyond recvWindow 10 000
    with pytest.raises(ccxt.InvalidNonce) as behind:
        await binance.fetch_balance()
    assert str(behind.value) == (
        'binance {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'
    )


async def test_a_429_then_success(standin: BinanceStandin, binance: Any) -> None:
    await binance.load_markets()
    standin.control.answer_429(1, retry_after=7)
    with pytest.raises(ccxt.DDoSProtection) as throttled:
        await binance.fetch_balance()
    assert str(throttled.value).startswith('binance 429 Too Many Requests {"code":-1003,')
    assert binance.last_response_headers["Retry-After"] == "7"
    balance = await binance.fetch_balance()
    assert balance["BTC"]["total"] == 1.75
    assert standin.control.paths() == ["/api/v3/exchangeInfo"] + ["/api/v3/account"] * 2


# --- Kraken ---------------------------------------------------------------------------------

KRAKEN_KEY = "kraken-test-key"
KRAKEN_SECRET = base64.b64encode(b"kraken-secret-bytes-" * 3).decode()
FAST = {"enableRateLimit": False}  # ccxt spaces Kraken private calls ~3 s apart otherwise


@pytest.fixture
def kraken_standin() -> KrakenStandin:
    standin = KrakenStandin()
    for asset_id, altname in [("XXBT", "XBT"), ("ZUSD", "USD"), ("XETH", "ETH")]:
        standin.add_asset(asset_id, altname)
    standin.add_pair("XXBT", "ZUSD")
    standin.add_pair("XETH", "XXBT")
    account = standin.add_account(KRAKEN_KEY, KRAKEN_SECRET)
    account.balances = {"XXBT": ("1.5000000000", "0.2000000000"), "ZUSD": ("100.5000", "0")}
    for i in range(60):
        account.trades[f"T{i:03d}"] = kraken_trade(
            "XXBTZUSD", 1_700_000_000 + i * 60, "buy", "30000.0", "0.01", "0.1", f"O{i:03d}"
        )
    account.deposits = [
        {
            "method": "Bitcoin",
            "aclass": "currency",
            "asset": "XXBT",
            "refid": "DEP-REF",
            "txid": "btc-tx-1",
            "info": "bc1qkraken",
            "amount": "0.5000000000",
            "fee": "0.0000000000",
            "time": 1_700_000_000,
            "status": "Success",
        }
    ]
    account.withdrawals = [
        {**account.deposits[0], "refid": "WD-REF", "txid": "btc-tx-2", "amount": "0.1"}
        | {"fee": "0.0001", "time": 1_700_100_000}
    ]
    return standin


@pytest.fixture
async def kraken(kraken_standin: KrakenStandin) -> AsyncIterator[Any]:
    with serve_in_thread(kraken_standin.app()) as base_url:
        client = ccxt.kraken({"apiKey": KRAKEN_KEY, "secret": KRAKEN_SECRET, **FAST})
        configure_kraken_for_standin(client, base_url)
        yield client
        await client.close()


async def test_kraken_load_markets_and_balance(kraken_standin: KrakenStandin, kraken: Any) -> None:
    markets = await kraken.load_markets()
    assert sorted(markets) == ["BTC/USD", "ETH/BTC"]
    assert markets["BTC/USD"]["id"] == "XXBTZUSD"
    balance = await kraken.fetch_balance()
    assert balance["BTC"] == {"free": 1.3, "used": 0.2, "total": 1.5}
    assert balance["USD"]["total"] == 100.5
    assert kraken_standin.control.paths() == [
        "/0/public/Assets",
        "/0/public/AssetPairs",
        "/0/private/BalanceEx",
    ]


async def test_kraken_trades_page_by_offset(kraken_standin: KrakenStandin, kraken: Any) -> None:
    first = await kraken.fetch_my_trades()
    second = await kraken.fetch_my_trades(params={"ofs": 50})
    assert len(first) == 50
    assert [t["id"] for t in second] == [f"T{i:03d}" for i in range(10)]
    assert (second[0]["symbol"], second[0]["side"], second[0]["price"]) == ("BTC/USD", "buy", 30000)
    assert second[0]["fee"] == {"currency": "USD", "cost": 0.1}
    bodies = [r.body for r in kraken_standin.control.requests_to("/0/private/TradesHistory")]
    assert "ofs=50" in bodies[1]
    assert all(body.startswith("nonce=") for body in bodies)


async def test_kraken_deposits_and_withdrawals(kraken: Any) -> None:
    [deposit] = await kraken.fetch_deposits()
    assert (deposit["currency"], deposit["amount"], deposit["txid"]) == ("BTC", 0.5, "btc-tx-1")
    assert deposit["timestamp"] == 1_700_000_000_000
    [withdrawal] = await kraken.fetch_withdrawals()
    assert (withdrawal["amount"], withdrawal["fee"]) == (0.1, {"currency": "BTC", "cost": 0.0001})


async def test_kraken_rejects_a_bad_key_and_a_bad_signature(kraken_standin: KrakenStandin) -> None:
    with serve_in_thread(kraken_standin.app()) as base_url:
        unknown = ccxt.kraken({"apiKey": "nobody", "secret": KRAKEN_SECRET, **FAST})
        forged = ccxt.kraken(
            {"apiKey": KRAKEN_KEY, "secret": base64.b64encode(b"x" * 64).decode(), **FAST}
        )
        try:
            for client in (unknown, forged):
                configure_kraken_for_standin(client, base_url)
            with pytest.raises(ccxt.AuthenticationError) as bad_key:
                await unknown.fetch_balance()
            with pytest.raises(ccxt.ExchangeError) as bad_signature:
                await forged.fetch_balance()
        finally:
            await unknown.close()
            await forged.close()
    assert str(bad_key.value) == 'kraken {"error":["EAPI:Invalid key"]}'
    assert str(bad_signature.value) == 'kraken {"error":["EAPI:Invalid signature"]}'


async def test_kraken_replayed_nonce_and_429(kraken_standin: KrakenStandin, kraken: Any) -> None:
    await kraken.load_markets()
    kraken_standin.accounts[KRAKEN_KEY].last_nonce = 10**20
    with pytest.raises(ccxt.InvalidNonce):
        await kraken.fetch_balance()
    kraken_standin.accounts[KRAKEN_KEY].last_nonce = 0
    kraken_standin.control.answer_429(1, retry_after=3)
    with pytest.raises(ccxt.DDoSProtection):
        await kraken.fetch_balance()
    assert (await kraken.fetch_balance())["BTC"]["total"] == 1.5
