"""What each asset is worth on each balance day, for the frontend's breakdown chart.

A row per balance day, oldest first: ``{time (s), assets: [ticker…], values: [USD…]}``, where
the assets are every asset of the chosen days' balances, in asset-id order, the same list on
every row. A value is the day's price times the balance, rounded to cents as the net worth
rounds each asset (``networth_engine``); an asset without a price that day, or not held, is 0.
With an interval longer than a day, the days kept are the first of each bucket
(``candle_buckets``): Mondays for ``1w``, the 1st for ``1m``.
"""

from collections.abc import Mapping, Sequence
from typing import TypedDict

from privatefolio_daemon.domain.candle_buckets import BUCKETS, CandleInterval
from privatefolio_daemon.domain.jsmath import round2
from privatefolio_daemon.domain.networth_engine import BalanceRow, PriceMap


class BreakdownRow(TypedDict):
    time: int
    assets: list[str]
    values: list[float]


def breakdown_rows(
    balance_rows: Sequence[BalanceRow],
    prices_by_day: Mapping[int, PriceMap],
    interval: CandleInterval = "1d",
) -> list[BreakdownRow]:
    bucket_of = BUCKETS[interval]
    days = [(day, balances) for day, balances in balance_rows if bucket_of(day) == day]
    asset_ids = sorted({asset_id for _, balances in days for asset_id in balances})
    tickers = [chart_ticker(asset_id) for asset_id in asset_ids]
    rows: list[BreakdownRow] = []
    for day, balances in days:
        prices = prices_by_day.get(day, {})
        values = [_value(balances.get(asset_id), prices.get(asset_id)) for asset_id in asset_ids]
        rows.append(BreakdownRow(time=day // 1000, assets=list(tickers), values=values))
    return rows


def chart_ticker(asset_id: str) -> str:
    """The part of the id after its platform (and contract), as written: ``ex.binance:BTC`` →
    ``BTC``, ``chain.ethereum:0x…:yveCRV-DAO`` → ``yveCRV-DAO``."""
    parts = asset_id.split(":", 2)
    return parts[-1]


def _value(balance: str | None, price: float | None) -> float:
    if not balance or price is None:
        return 0.0
    return round2(price * float(balance))
