"""Mapping ccxt structures to records: the parts the stand-in syncs do not reach."""

from typing import Any

from privatefolio_daemon.sources.exchanges.amounts import amount
from privatefolio_daemon.sources.exchanges.market_choice import markets_to_scan
from privatefolio_daemon.sources.exchanges.records import (
    AccountVenue,
    trade_records,
    transfer_records,
)

VENUE = AccountVenue("c9", "ex.binance", "Binance Spot")
MARKET = {"id": "ETHBTC", "base": "ETH", "quote": "BTC", "spot": True}


def test_floats_are_read_through_their_shortest_text() -> None:
    assert str(amount(0.1)) == "0.1"
    assert str(amount(1e-08)) == "1E-8"
    assert str(amount("0.01000000")) == "0.01000000"
    assert amount(None) is None
    assert amount("abc") is None
    assert amount(True) is None


def test_a_trade_with_two_fee_currencies_gets_a_fee_log_for_each() -> None:
    trade: dict[str, Any] = {
        "id": "55",
        "timestamp": 1_700_000_000_000,
        "side": "buy",
        "amount": "2",
        "price": "0.05",
        "cost": None,
        "fees": [
            {"currency": "BNB", "cost": "0.001"},
            {"currency": "BNB", "cost": "0.002"},
            {"currency": "BTC", "cost": "0.00001"},
            {"currency": "ETH", "cost": "0"},
        ],
    }
    mapped = trade_records(trade, MARKET, VENUE)
    assert mapped is not None
    logs, swap = mapped
    assert [(log.id, log.assetId, log.change) for log in logs] == [
        ("c9_TRADE_ETHBTC_55_BUY", "ex.binance:ETH", "2"),
        ("c9_TRADE_ETHBTC_55_SELL", "ex.binance:BTC", "-0.1"),
        ("c9_TRADE_ETHBTC_55_FEE", "ex.binance:BNB", "-0.003"),
        ("c9_TRADE_ETHBTC_55_FEE_BTC", "ex.binance:BTC", "-0.00001"),
    ]
    assert (swap.incoming, swap.outgoing, swap.fee, swap.feeAsset, swap.price) == (
        "2",
        "0.1",
        "0.003",
        "ex.binance:BNB",
        "0.05",
    )


def test_tiny_amounts_use_the_statement_string_forms() -> None:
    trade = {"id": "1", "timestamp": 5, "side": "sell", "amount": "0.0000006", "cost": "0.0003"}
    mapped = trade_records(trade, MARKET, VENUE)
    assert mapped is not None
    logs, swap = mapped
    assert [log.change for log in logs] == ["0.0003", "-0.0000006"]  # logs: toFixed()
    assert (swap.incoming, swap.outgoing, swap.fee) == ("0.0003", "6e-7", None)  # tx: toString()
    assert swap.price == "0.002"


def test_empty_trades_and_transfers_map_to_nothing() -> None:
    assert trade_records({"id": "1", "timestamp": 5, "amount": "0"}, MARKET, VENUE) is None
    assert transfer_records({"currency": "BTC", "timestamp": 5, "amount": "1"}, VENUE) is None


def test_a_transfer_without_an_exchange_id_uses_its_chain_hash() -> None:
    deposit = {"txid": "0xabc", "currency": "ETH", "timestamp": 9, "amount": 1.5, "type": "deposit"}
    mapped = transfer_records(deposit, VENUE)
    assert mapped is not None
    assert [log.id for log in mapped[0]] == ["c9_DEPOSIT_ETH_0xabc"]
    assert mapped[1].incoming == "1.5"


def test_markets_are_chosen_from_the_currencies_in_play() -> None:
    markets = {
        symbol: {"spot": True, "base": symbol.split("/")[0], "quote": symbol.split("/")[1]}
        for symbol in ["BTC/USDT", "ETH/BTC", "SOL/ETH", "XRP/USDT", "DOGE/SOL", "LINK/EUR"]
    }
    markets["BTC/USDT:USDT"] = {"spot": False, "base": "BTC", "quote": "USDT"}
    assert markets_to_scan(markets, ["USDT"]) == ["BTC/USDT"]
    assert markets_to_scan(markets, ["SOL", "ETH"]) == ["ETH/BTC", "SOL/ETH"]
    assert markets_to_scan(markets, ["LINK"], ["XRP/USDT", "NOPE/USDT"]) == [
        "LINK/EUR",
        "XRP/USDT",
    ]


def test_amounts_of_many_digits_go_out_whole() -> None:
    """The amounts going out are negated exactly, past the 28 digits of Python's default."""
    many = "12345678901234567890123456789.123456789"
    trade = {"id": "7", "timestamp": 5, "side": "sell", "amount": many, "cost": many,
             "fee": {"currency": "BTC", "cost": many}}  # fmt: skip
    mapped = trade_records(trade, MARKET, VENUE)
    assert mapped is not None
    assert [log.change for log in mapped[0]] == [many, f"-{many}", f"-{many}"]
    withdrawal = {"id": "w", "currency": "ETH", "timestamp": 5, "amount": many,
                  "type": "withdrawal", "status": "ok"}  # fmt: skip
    transferred = transfer_records(withdrawal, VENUE)
    assert transferred is not None
    assert transferred[0][0].change == f"-{many}"
