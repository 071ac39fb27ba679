"""A Kraken account synced through the real ccxt client against the fake Kraken API."""

import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from privatefolio_daemon.sources.connection_source import SyncError, SyncResult
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.kraken import (
    KrakenAccount,
    KrakenStandin,
    configure_kraken_for_standin,
    kraken_trade,
)

KEY = "kraken-sync-test-key"
SECRET = base64.b64encode(b"kraken-sync-secret-bytes" * 3).decode()
CONNECTION = "kr-1"
T1, T2, T3 = 1_700_000_000_123, 1_700_086_400_500, 1_700_172_800_000
DEPOSIT_AT, WITHDRAW_AT, PENDING_AT = 1_699_900_000_000, 1_700_200_000_000, 1_700_100_000_000


def transfer(
    refid: str, asset: str, amount: str, fee: str, time_s: int, status: str
) -> dict[str, Any]:
    return {
        "method": "Bitcoin",
        "aclass": "currency",
        "asset": asset,
        "refid": refid,
        "txid": f"chain-{refid}",
        "info": "bc1qkraken",
        "amount": amount,
        "fee": fee,
        "time": time_s,
        "status": status,
    }


@pytest.fixture
def standin() -> KrakenStandin:
    standin = KrakenStandin()
    for asset_id, altname in [("XXBT", "XBT"), ("ZUSD", "USD"), ("XETH", "ETH"), ("ZEUR", "EUR")]:
        standin.add_asset(asset_id, altname)
    standin.add_pair("XXBT", "ZUSD")
    standin.add_pair("XETH", "XXBT")
    standin.add_pair("XETH", "ZEUR")
    account = standin.add_account(KEY, SECRET)
    account.balances = {
        "XXBT": ("0.4000000000", "0.0000000000"),
        "ZUSD": ("500.5000", "0.0000"),
        "XETH": ("1.2500000000", "0.2500000000"),
    }
    account.trades = {
        "TA1AAA-11111-AAAAAA": kraken_trade(
            "XXBTZUSD", 1_700_000_000.1234, "buy", "30000.0", "0.01", "0.78", "OA1"
        ),
        "TB2BBB-22222-BBBBBB": kraken_trade(
            "XETHXXBT", 1_700_086_400.5, "buy", "0.05", "1.25", "0.0001", "OB2"
        ),
        "TC3CCC-33333-CCCCCC": kraken_trade(
            "XETHZEUR", 1_700_172_800, "sell", "2000.00", "0.5", "2.00", "OC3"
        ),
    }
    account.deposits = [
        transfer("DEP-1", "XXBT", "0.5000000000", "0.0000000000", 1_699_900_000, "Success")
    ]
    account.withdrawals = [transfer("WD-1", "ZUSD", "100.0000", "5.0000", 1_700_200_000, "Success")]
    return standin


@pytest.fixture
def harness(standin: KrakenStandin) -> Iterator[Harness]:
    with serve_in_thread(standin.app()) as url:
        yield Harness("kraken", lambda exchange: configure_kraken_for_standin(exchange, url))


def account_of(standin: KrakenStandin) -> KrakenAccount:
    return standin.accounts[KEY]


def log(log_id: str, asset: str, change: str, operation: str, at: int, tx: str) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{log_id}",
        "assetId": f"ex.kraken:{asset}",
        "change": change,
        "connectionId": CONNECTION,
        "importIndex": at,
        "operation": operation,
        "platformId": "ex.kraken",
        "timestamp": at,
        "txId": f"{CONNECTION}_{tx}",
        "wallet": "Kraken Spot",
    }


def transaction(tx: str, at: int, kind: str, **fields: str) -> dict[str, Any]:
    amounts = {
        name: value if name.endswith("Asset") is False else f"ex.kraken:{value}"
        for name, value in fields.items()
    }
    return {
        "id": f"{CONNECTION}_{tx}",
        **amounts,
        "connectionId": CONNECTION,
        "importIndex": at,
        "platformId": "ex.kraken",
        "timestamp": at,
        "type": kind,
        "wallet": "Kraken Spot",
        "metadata": {},
    }


A, B, C = (
    "TRADE_XXBTZUSD_TA1AAA-11111-AAAAAA",
    "TRADE_XETHXXBT_TB2BBB-22222-BBBBBB",
    "TRADE_XETHZEUR_TC3CCC-33333-CCCCCC",
)
DEPOSIT, WITHDRAWAL = "DEPOSIT_BTC_DEP-1", "WITHDRAW_USD_WD-1"
EXPECTED_LOGS = [
    log(DEPOSIT, "BTC", "0.5", "Deposit", DEPOSIT_AT, f"{DEPOSIT}_TX"),
    log(f"{A}_BUY", "BTC", "0.01", "Buy", T1, A),
    log(f"{A}_FEE", "USD", "-0.78", "Fee", T1, A),
    log(f"{A}_SELL", "USD", "-300", "Sell", T1, A),
    log(f"{B}_BUY", "ETH", "1.25", "Buy", T2, B),
    log(f"{B}_FEE", "BTC", "-0.0001", "Fee", T2, B),
    log(f"{B}_SELL", "BTC", "-0.0625", "Sell", T2, B),
    log(f"{C}_BUY", "EUR", "1000", "Buy", T3, C),
    log(f"{C}_FEE", "EUR", "-2", "Fee", T3, C),
    log(f"{C}_SELL", "ETH", "-0.5", "Sell", T3, C),
    log(WITHDRAWAL, "USD", "-100", "Withdraw", WITHDRAW_AT, f"{WITHDRAWAL}_TX"),
    log(f"{WITHDRAWAL}_FEE", "USD", "-5", "Fee", WITHDRAW_AT, f"{WITHDRAWAL}_TX"),
]


def swap(tx: str, at: int, incoming: str, outgoing: str, fee: str, price: str) -> dict[str, Any]:
    (
        (incoming_amount, incoming_asset),
        (outgoing_amount, outgoing_asset),
        (fee_amount, fee_asset),
    ) = (text.split() for text in (incoming, outgoing, fee))
    return transaction(
        tx,
        at,
        "Swap",
        incomingAsset=incoming_asset,
        incoming=incoming_amount,
        feeAsset=fee_asset,
        fee=fee_amount,
        outgoingAsset=outgoing_asset,
        outgoing=outgoing_amount,
        price=price,
    )


EXPECTED_TRANSACTIONS = [
    transaction(f"{DEPOSIT}_TX", DEPOSIT_AT, "Deposit", incomingAsset="BTC", incoming="0.5"),
    swap(A, T1, "0.01 BTC", "300 USD", "0.78 USD", "30000"),
    swap(B, T2, "1.25 ETH", "0.0625 BTC", "0.0001 BTC", "0.05"),
    swap(C, T3, "1000 EUR", "0.5 ETH", "2 EUR", "0.0005"),
    transaction(
        f"{WITHDRAWAL}_TX",
        WITHDRAW_AT,
        "Withdraw",
        feeAsset="USD",
        fee="5",
        outgoingAsset="USD",
        outgoing="100",
    ),
]


def wire(result: SyncResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [e.to_wire() for e in result.logs], [e.to_wire() for e in result.transactions]


async def test_a_first_sync_reads_trades_of_every_market_and_the_transfers(
    standin: KrakenStandin, harness: Harness
) -> None:
    result = await harness.source().sync(harness.spec(KEY, SECRET, CONNECTION), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert result.cursor == WITHDRAW_AT + 1
    assert result.balances == {
        "ex.kraken:BTC": "0.4",
        "ex.kraken:ETH": "1.25",
        "ex.kraken:USD": "500.5",
    }
    assert standin.control.paths() == [
        "/0/public/Assets",
        "/0/public/AssetPairs",
        "/0/private/BalanceEx",
        "/0/private/DepositStatus",
        "/0/private/WithdrawStatus",
        "/0/private/TradesHistory",
    ]
    assert harness.all_closed()


async def test_trades_are_paged_by_offset(standin: KrakenStandin, harness: Harness) -> None:
    account = account_of(standin)
    account.trades = {
        f"T{i:03d}": kraken_trade("XXBTZUSD", 1_700_000_000 + i, "buy", "30000", "0.01", "0", "O")
        for i in range(120)
    }
    result = await harness.source().sync(harness.spec(KEY, SECRET, CONNECTION), 0, harness.report)
    swaps = [t.id for t in result.transactions if t.type == "Swap"]
    assert swaps == [f"{CONNECTION}_TRADE_XXBTZUSD_T{i:03d}" for i in range(120)]
    bodies = [r.body for r in standin.control.requests_to("/0/private/TradesHistory")]
    assert [body.split("&")[1:] for body in bodies] == [["ofs=0"], ["ofs=50"], ["ofs=100"]]


async def test_the_next_sync_reads_only_what_came_after_the_cursor(
    standin: KrakenStandin, harness: Harness
) -> None:
    source, spec = harness.source(), harness.spec(KEY, SECRET, CONNECTION)
    first = await source.sync(spec, 0, harness.report)
    assert first.cursor == WITHDRAW_AT + 1
    standin.control.clear()
    again = await source.sync(spec, first.cursor, harness.report)
    assert (again.logs, again.transactions, again.cursor) == ([], [], first.cursor)
    [trades_query] = standin.control.requests_to("/0/private/TradesHistory")
    assert "start=1700200000" in trades_query.body.split("&")
    account_of(standin).trades["TD4DDD-44444-DDDDDD"] = kraken_trade(
        "XXBTZUSD", 1_700_300_000, "sell", "31000.0", "0.1", "1.5", "OD4"
    )
    later = await source.sync(spec, first.cursor, harness.report)
    d = "TRADE_XXBTZUSD_TD4DDD-44444-DDDDDD"
    at = 1_700_300_000_000
    assert wire(later) == (
        [
            log(f"{d}_BUY", "USD", "3100", "Buy", at, d),
            log(f"{d}_FEE", "USD", "-1.5", "Fee", at, d),
            log(f"{d}_SELL", "BTC", "-0.1", "Sell", at, d),
        ],
        [swap(d, at, "3100 USD", "0.1 BTC", "1.5 USD", "0.00003225806451612903")],
    )
    assert later.cursor == at + 1


async def test_a_trade_at_the_cursor_s_whole_second_is_read_once(
    standin: KrakenStandin, harness: Harness
) -> None:
    # Kraken's ``start`` is in whole seconds and exclusive: a start at the cursor's second
    # would leave out a trade at exactly that second for good.
    trades = account_of(standin).trades
    trades["TE5EEE"] = kraken_trade("XXBTZUSD", 1_700_600_000.999, "buy", "30000", "0.01", "0", "E")
    source, spec = harness.source(), harness.spec(KEY, SECRET, CONNECTION)
    first = await source.sync(spec, 0, harness.report)
    assert first.cursor == 1_700_600_001_000
    trades["TF6FFF"] = kraken_trade("XXBTZUSD", 1_700_600_001, "buy", "30000", "0.02", "0", "F")
    trades["TG7GGG"] = kraken_trade("XXBTZUSD", 1_700_600_001.5, "buy", "30000", "0.03", "0", "G")
    standin.control.clear()

    second = await source.sync(spec, first.cursor, harness.report)

    assert [(t.id, t.timestamp, t.incoming) for t in second.transactions] == [
        (f"{CONNECTION}_TRADE_XXBTZUSD_TF6FFF", 1_700_600_001_000, "0.02"),
        (f"{CONNECTION}_TRADE_XXBTZUSD_TG7GGG", 1_700_600_001_500, "0.03"),
    ]
    assert second.cursor == 1_700_600_001_501
    [trades_query] = standin.control.requests_to("/0/private/TradesHistory")
    assert "start=1700600000" in trades_query.body.split("&")


async def test_a_pending_deposit_holds_the_cursor_until_it_completes(
    standin: KrakenStandin, harness: Harness
) -> None:
    pending = transfer("DEP-2", "XETH", "3.0", "0", 1_700_100_000, "Pending")
    account_of(standin).deposits.append(pending)
    source, spec = harness.source(), harness.spec(KEY, SECRET, CONNECTION)
    first = await source.sync(spec, 0, harness.report)
    assert wire(first) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert first.cursor == PENDING_AT
    pending["status"] = "Success"
    second = await source.sync(spec, PENDING_AT, harness.report)
    # The completed deposit, plus what follows it again under the same ids (an idempotent upsert).
    assert [e.id for e in second.transactions] == [
        f"{CONNECTION}_DEPOSIT_ETH_DEP-2_TX",
        f"{CONNECTION}_{C}",
        f"{CONNECTION}_{WITHDRAWAL}_TX",
    ]
    assert second.cursor == WITHDRAW_AT + 1


@pytest.mark.parametrize(
    ("key", "secret"),
    [("nobody", SECRET), (KEY, base64.b64encode(b"x" * 64).decode())],
    ids=["unknown key", "wrong secret"],
)
async def test_a_bad_key_is_a_clear_error_without_secrets(
    harness: Harness, caplog: pytest.LogCaptureFixture, key: str, secret: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(harness.spec(key, secret, CONNECTION), 0, harness.report)
    assert str(failure.value) == (
        "Kraken rejected the API key or secret. Check that both were copied correctly "
        "and that the key is still active."
    )
    assert harness.all_closed()
    assert caplog.records
    assert not any(
        key in r.getMessage() or secret in r.getMessage() or SECRET in r.getMessage()
        for r in caplog.records
    )


async def test_a_429_then_success(standin: KrakenStandin, harness: Harness) -> None:
    standin.control.answer_429(1, retry_after=None)
    result = await harness.source().sync(harness.spec(KEY, SECRET, CONNECTION), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert standin.control.paths()[:2] == ["/0/public/Assets", "/0/public/Assets"]
