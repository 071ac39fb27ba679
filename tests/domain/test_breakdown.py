"""The breakdown chart's rows: tickers as the ids write them, every asset on every row."""

from privatefolio_daemon.domain.breakdown import breakdown_rows, chart_ticker
from privatefolio_daemon.domain.timeutil import DAY_MS

DAY = 1614556800000  # 2021-03-01, a Monday


def test_tickers_keep_the_id_s_own_case() -> None:
    assert chart_ticker("ex.binance:BTC") == "BTC"
    assert chart_ticker("chain.ethereum:0x27b7b1ad7288079A66d12350c828D3C00A6F07d7:yveCRV-DAO") == (
        "yveCRV-DAO"
    )
    assert chart_ticker("USDT") == "USDT"


def test_an_asset_held_later_is_zero_on_the_earlier_rows() -> None:
    balances = [(DAY, {"b:ETH": "1"}), (DAY + DAY_MS, {"b:ETH": "1", "a:SOL": "3"})]
    prices = {DAY: {"b:ETH": 2.5}, DAY + DAY_MS: {"b:ETH": 3.0, "a:SOL": 0.105}}

    assert breakdown_rows(balances, prices) == [
        {"time": DAY // 1000, "assets": ["SOL", "ETH"], "values": [0.0, 2.5]},
        {"time": (DAY + DAY_MS) // 1000, "assets": ["SOL", "ETH"], "values": [0.32, 3.0]},
    ]
    assert breakdown_rows(balances, prices, "1w") == [
        {"time": DAY // 1000, "assets": ["ETH"], "values": [2.5]}
    ]
