"""A Coinbase account synced through the real ccxt client against the fake Coinbase API."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.connection_source import SyncError, SyncResult
from tests.connections.coinbase_scene import (
    BAD_KEY_MESSAGE,
    DEPOSIT_AT,
    FILL_AT,
    KEY,
    RECEIVE_AT,
    TRADE,
    WITHDRAW_AT,
    T,
    coinbase_standin,
)
from tests.sources.exchanges.harness import Harness
from tests.standins.background_server import serve_in_thread
from tests.standins.exchanges.coinbase import CoinbaseAccount, CoinbaseStandin
from tests.standins.exchanges.coinbase_records import (
    CdpKey,
    CoinbaseFill,
    crypto_receive,
    crypto_send,
    new_cdp_key,
)
from tests.standins.exchanges.control import point_ccxt_at

CONNECTION = "cb-1"
HOUR_MS = 3_600_000
ACCOUNTS = "/api/v3/brokerage/accounts"
FILLS = "/api/v3/brokerage/orders/historical/fills"


@pytest.fixture
def standin() -> CoinbaseStandin:
    return coinbase_standin()


@pytest.fixture
def harness(standin: CoinbaseStandin) -> Iterator[Harness]:
    with serve_in_thread(standin.app()) as url:
        yield Harness("coinbase", lambda exchange: point_ccxt_at(exchange, url))


def account_of(standin: CoinbaseStandin) -> CoinbaseAccount:
    return standin.accounts[KEY.name]


def log(log_id: str, asset: str, change: str, operation: str, at: int, tx: str) -> dict[str, Any]:
    return {
        "id": f"{CONNECTION}_{log_id}",
        "assetId": f"ex.coinbase:{asset}",
        "change": change,
        "connectionId": CONNECTION,
        "importIndex": at,
        "operation": operation,
        "platformId": "ex.coinbase",
        "timestamp": at,
        "txId": f"{CONNECTION}_{tx}",
        "wallet": "Coinbase Spot",
    }


def transaction(tx: str, at: int, kind: str, **fields: str) -> dict[str, Any]:
    amounts = {
        name: f"ex.coinbase:{value}" if name.endswith("Asset") else value
        for name, value in fields.items()
    }
    return {
        "id": f"{CONNECTION}_{tx}",
        **amounts,
        "connectionId": CONNECTION,
        "importIndex": at,
        "platformId": "ex.coinbase",
        "timestamp": at,
        "type": kind,
        "wallet": "Coinbase Spot",
        "metadata": {},
    }


USD_IN, BTC_OUT, ETH_IN = (
    "DEPOSIT_USD_dep-usd-1",
    "WITHDRAW_BTC_send-btc-1",
    "DEPOSIT_ETH_recv-eth-1",
)
EXPECTED_LOGS = [
    log(USD_IN, "USD", "1000", "Deposit", DEPOSIT_AT, f"{USD_IN}_TX"),
    log(f"{TRADE}_BUY", "BTC", "0.01", "Buy", FILL_AT, TRADE),
    log(f"{TRADE}_FEE", "USD", "-1.8", "Fee", FILL_AT, TRADE),
    log(f"{TRADE}_SELL", "USD", "-300", "Sell", FILL_AT, TRADE),
    log(BTC_OUT, "BTC", "-0.005", "Withdraw", WITHDRAW_AT, f"{BTC_OUT}_TX"),
    log(f"{BTC_OUT}_FEE", "BTC", "-0.0001", "Fee", WITHDRAW_AT, f"{BTC_OUT}_TX"),
    log(ETH_IN, "ETH", "0.5", "Deposit", RECEIVE_AT, f"{ETH_IN}_TX"),
]
EXPECTED_TRANSACTIONS = [
    transaction(f"{USD_IN}_TX", DEPOSIT_AT, "Deposit", incomingAsset="USD", incoming="1000"),
    transaction(
        TRADE,
        FILL_AT,
        "Swap",
        incomingAsset="BTC",
        incoming="0.01",
        feeAsset="USD",
        fee="1.8",
        outgoingAsset="USD",
        outgoing="300",
        price="30000",
    ),
    transaction(
        f"{BTC_OUT}_TX",
        WITHDRAW_AT,
        "Withdraw",
        feeAsset="BTC",
        fee="0.0001",
        outgoingAsset="BTC",
        outgoing="0.005",
    ),
    transaction(f"{ETH_IN}_TX", RECEIVE_AT, "Deposit", incomingAsset="ETH", incoming="0.5"),
]


SPEC_ARGS = (KEY.name, KEY.private_pem, CONNECTION)


def wire(result: SyncResult) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [e.to_wire() for e in result.logs], [e.to_wire() for e in result.transactions]


def wallet_paths(standin: CoinbaseStandin) -> list[str]:
    return [f"/v2/accounts/{wallet.uuid}/transactions" for wallet in account_of(standin).wallets]


async def test_a_first_sync_reads_balances_fills_and_each_accounts_transfers(
    standin: CoinbaseStandin, harness: Harness
) -> None:
    result = await harness.source().sync(harness.spec(*SPEC_ARGS), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert result.cursor == RECEIVE_AT + 1
    assert result.balances == {
        "ex.coinbase:BTC": "0.0049",
        "ex.coinbase:ETH": "0.5",
        "ex.coinbase:USD": "698.2",
    }
    paths = standin.control.paths()
    assert sorted(paths[:6]) == [
        "/api/v3/brokerage/market/products",
        "/api/v3/brokerage/market/products",
        "/api/v3/brokerage/transaction_summary",
        "/v2/currencies",
        "/v2/currencies/crypto",
        "/v2/exchange-rates",
    ]
    assert paths[6:] == [ACCOUNTS, ACCOUNTS, *wallet_paths(standin), FILLS]
    assert harness.all_closed()


async def test_fills_are_paged_by_cursor(standin: CoinbaseStandin, harness: Harness) -> None:
    account_of(standin).fills = [
        CoinbaseFill(f"t{i:03d}", "o", "BTC-USD", "BUY", "30000", "0.01", "0", T - DAY_MS + i)
        for i in range(300)
    ]
    result = await harness.source().sync(harness.spec(*SPEC_ARGS), 0, harness.report)
    swaps = [t.id for t in result.transactions if t.type == "Swap"]
    assert swaps == [f"{CONNECTION}_TRADE_BTC-USD_t{i:03d}" for i in range(300)]
    queries = [r.query for r in standin.control.requests_to(FILLS)]
    assert [(q["limit"], q.get("cursor")) for q in queries] == [("250", None), ("250", "250")]


async def test_an_accounts_transactions_are_paged_by_starting_after(
    standin: CoinbaseStandin, harness: Harness
) -> None:
    account = account_of(standin)
    for i in range(150):
        account.add_transaction(
            crypto_receive(f"r{i:03d}", "SOL", "1", T - DAY_MS + i * 1000, "0x")
        )
    source, spec = harness.source(), harness.spec(*SPEC_ARGS)
    first = await source.sync(spec, 0, harness.report)
    sol_in = [t.id for t in first.transactions if "_SOL_" in t.id]
    assert sol_in == [f"{CONNECTION}_DEPOSIT_SOL_r{i:03d}_TX" for i in range(150)]
    sol_path = f"/v2/accounts/{account.wallet('SOL').uuid}/transactions"
    queries = [r.query for r in standin.control.requests_to(sol_path)]
    assert [q.get("starting_after") for q in queries] == [None, "r050"]
    standin.control.clear()
    # A later sync stops at the first page that reaches back past the cursor.
    again = await source.sync(spec, first.cursor or 0, harness.report)
    assert (again.logs, again.cursor) == ([], first.cursor)
    assert len(standin.control.requests_to(sol_path)) == 1


async def test_the_next_sync_reads_only_what_came_after_the_cursor(
    standin: CoinbaseStandin, harness: Harness
) -> None:
    source, spec = harness.source(), harness.spec(*SPEC_ARGS)
    first = await source.sync(spec, 0, harness.report)
    assert first.cursor == RECEIVE_AT + 1
    standin.control.clear()
    again = await source.sync(spec, RECEIVE_AT + 1, harness.report)
    assert (again.logs, again.transactions, again.cursor) == ([], [], RECEIVE_AT + 1)
    [fills_query] = standin.control.requests_to(FILLS)
    assert fills_query.query["start_sequence_timestamp"].endswith(".001Z")
    at = T - HOUR_MS
    account_of(standin).fills.append(
        CoinbaseFill("trade-2", "order-2", "BTC-USD", "SELL", "31000", "0.002", "0.5", at)
    )
    later = await source.sync(spec, RECEIVE_AT + 1, harness.report)
    trade = "TRADE_BTC-USD_trade-2"
    assert wire(later) == (
        [
            log(f"{trade}_BUY", "USD", "62", "Buy", at, trade),
            log(f"{trade}_FEE", "USD", "-0.5", "Fee", at, trade),
            log(f"{trade}_SELL", "BTC", "-0.002", "Sell", at, trade),
        ],
        [
            transaction(
                trade,
                at,
                "Swap",
                incomingAsset="USD",
                incoming="62",
                feeAsset="USD",
                fee="0.5",
                outgoingAsset="BTC",
                outgoing="0.002",
                price="0.00003225806451612903",
            )
        ],
    )
    assert later.cursor == at + 1


async def test_a_pending_send_holds_the_cursor_until_it_completes(
    standin: CoinbaseStandin, harness: Harness
) -> None:
    pending_at = T - 4 * DAY_MS
    pending = crypto_send("send-eth-2", "ETH", "0.1", "0.001", pending_at, "0xp", "pending")
    account_of(standin).add_transaction(pending)
    source, spec = harness.source(), harness.spec(*SPEC_ARGS)
    first = await source.sync(spec, 0, harness.report)
    assert wire(first) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert first.cursor == pending_at
    pending.status = "completed"
    second = await source.sync(spec, pending_at, harness.report)
    assert [t.id for t in second.transactions] == [
        f"{CONNECTION}_WITHDRAW_ETH_send-eth-2_TX",
        f"{CONNECTION}_{ETH_IN}_TX",
    ]
    assert second.cursor == RECEIVE_AT + 1


@pytest.mark.parametrize(
    "key",
    [new_cdp_key("unknown-key"), new_cdp_key("7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817")],
    ids=["unknown key", "wrong private key"],
)
async def test_a_bad_key_is_a_clear_error_without_secrets(
    harness: Harness, caplog: pytest.LogCaptureFixture, key: CdpKey
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SyncError) as failure:
        await harness.source().sync(
            harness.spec(key.name, key.private_pem, CONNECTION), 0, harness.report
        )
    assert str(failure.value) == BAD_KEY_MESSAGE
    assert harness.all_closed()
    assert caplog.records
    for record in caplog.records:
        assert key.name not in record.getMessage()
        assert key.private_pem not in record.getMessage()


async def test_a_429_then_success(standin: CoinbaseStandin, harness: Harness) -> None:
    standin.control.answer_429(1, retry_after=None)
    result = await harness.source().sync(harness.spec(*SPEC_ARGS), 0, harness.report)
    assert wire(result) == (EXPECTED_LOGS, EXPECTED_TRANSACTIONS)
    assert standin.control.paths().count("/v2/currencies") == 2
