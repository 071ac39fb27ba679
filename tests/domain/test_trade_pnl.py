"""A trade's daily PnL rows (data-model §8.3) sum its cost, proceeds, fees and deposits up to each
day's last millisecond in one pass over its days; they equal the definition, a fresh sum for
every day (fees as what was paid, whatever their sign, in the position when paid in the trade's
asset and lowering the PnL when paid in cash; dividends in the proceeds; no position on a closed
trade's closing day), on random trades whose rows come in any order (hypothesis)."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.domain.trade_pnl import PnlRow, account_pnl, trade_pnl_rows
from privatefolio_daemon.domain.trades_engine import Trade, TradeRow

DAY0 = 1_700_006_400_000
ASSET = "ex.binance:BTC"
CASH = "fiat:USD"

moments = st.integers(DAY0, DAY0 + 12 * DAY_MS)
usd = st.decimals(-10_000, 10_000, places=6).map(lambda value: decimals.to_string(value))
rows = st.lists(st.tuples(usd, moments), max_size=12)
fee_rows = st.lists(st.tuples(usd, moments, st.sampled_from([ASSET, CASH])), max_size=12)


def trade_rows(values: list[tuple[str, int]]) -> list[TradeRow]:
    return [["ex.binance:USDT", "-1", value, "1", f"tx{index}", moment]
            for index, (value, moment) in enumerate(values)]  # fmt: skip


def fee_rows_of(values: list[tuple[str, int, str]]) -> list[TradeRow]:
    return [[asset, "1", value, f"fee{index}", moment]
            for index, (value, moment, asset) in enumerate(values)]  # fmt: skip


def income_rows(values: list[tuple[str, int]]) -> list[TradeRow]:
    return [[CASH, value, value, f"div{index}", moment]
            for index, (value, moment) in enumerate(values)]  # fmt: skip


def defined_rows(
    trade: Trade, prices: list[tuple[int, Decimal]], today: int, income: list[TradeRow]
) -> list[PnlRow]:
    """The definition, summed afresh for every day."""

    def usd_sum(kind: list[TradeRow], end: int) -> Decimal:
        return sum((Decimal(row[2]) for row in kind if row[-1] <= end), Decimal(0))

    genesis = DAY0 - DAY_MS
    expected = [PnlRow(f"{trade.id}_{genesis}", trade.id, genesis, *(["0"] * 6))]
    last = trade.closed_at - trade.closed_at % DAY_MS if trade.closed_at else today
    for day, price in prices:
        if not DAY0 <= day <= last:
            continue
        end = day + DAY_MS - 1  # a moment at the next midnight belongs to the next day
        position = Decimal(0) if trade.closed_at and day == last else price * Decimal(2)
        fees = [row for row in trade.fees if row[-1] <= end]
        paid = -sum((abs(Decimal(row[2])) for row in fees), Decimal(0))
        paid_in_cash = -sum((abs(Decimal(row[2])) for row in fees if row[0] == CASH), Decimal(0))
        parts = [usd_sum(kind, end) for kind in (trade.cost, [*trade.proceeds, *income])]
        deposits = usd_sum(trade.deposits, end)
        pnl = position + sum(parts) - deposits + paid_in_cash
        values = [position, *parts, paid, deposits, pnl]
        expected.append(
            PnlRow(f"{trade.id}_{day}", trade.id, day, *map(decimals.to_string, values))
        )
    return expected


@settings(max_examples=200, deadline=None)
@given(
    rows,
    rows,
    fee_rows,
    rows,
    rows,
    st.lists(st.decimals(1, 1_000, places=4), min_size=1, max_size=14),
    st.one_of(st.none(), moments),
)
def test_the_rows_equal_a_fresh_sum_for_every_day(
    cost: list[tuple[str, int]],
    proceeds: list[tuple[str, int]],
    fees: list[tuple[str, int, str]],
    deposits: list[tuple[str, int]],
    dividends: list[tuple[str, int]],
    day_prices: list[Decimal],
    closed_at: int | None,
) -> None:
    trade = Trade(
        id="t",
        asset_id=ASSET,
        created_at=DAY0 + 5,
        trade_type="Long",
        amount=Decimal(2),
        balance=Decimal(2),
        closed_at=closed_at,
        cost=trade_rows(cost),
        proceeds=trade_rows(proceeds),
        fees=fee_rows_of(fees),
        deposits=trade_rows(deposits),
    )
    prices = [(DAY0 + index * DAY_MS, price) for index, price in enumerate(day_prices)]
    today = DAY0 + 10 * DAY_MS
    income = income_rows(dividends)

    made = trade_pnl_rows(trade, prices, lambda _moment: Decimal(2), today, income=income)

    assert made == defined_rows(trade, prices, today, income)


def latest_row_sums(rows: list[PnlRow]) -> list[list[str]]:
    """The definition of the account PnL: at each timestamp, a fresh sum of every trade's latest
    row so far."""
    ordered = sorted(rows, key=lambda row: row.timestamp)
    sums: list[list[str]] = []
    for timestamp in sorted({row.timestamp for row in rows}):
        latest = {row.trade_id: row for row in ordered if row.timestamp <= timestamp}
        columns = zip(*(row[3:] for row in latest.values()), strict=True)
        totals = (sum(map(Decimal, values), Decimal(0)) for values in columns)
        sums.append([decimals.to_string(total) for total in totals])
    return sums


def one_row_per_trade_and_day(drawn: list[tuple[str, int, list[str]]]) -> list[PnlRow]:
    rows = {
        (trade, day): PnlRow(f"{trade}_{day}", trade, DAY0 + day * DAY_MS, *values)
        for trade, day, values in drawn
    }
    return list(rows.values())


pnl_rows = st.lists(
    st.tuples(st.sampled_from("abc"), st.integers(0, 6), st.lists(usd, min_size=6, max_size=6)),
    max_size=25,
).map(one_row_per_trade_and_day)


@settings(max_examples=200, deadline=None)
@given(pnl_rows)
def test_the_account_pnl_sums_each_trades_latest_row(rows: list[PnlRow]) -> None:
    made = account_pnl(rows)

    assert [point["timestamp"] for point in made] == sorted({row.timestamp for row in rows})
    columns = ("positionValue", "cost", "proceeds", "fees", "deposits", "pnl")
    assert [[point[column] for column in columns] for point in made] == latest_row_sums(rows)


def test_the_account_pnl_is_exact_past_28_digits() -> None:
    """A trade's rows that do not change leave the account's sums as they are, every day."""
    value = "135802467913580246791358024679.55"
    rows = [PnlRow(f"t_{day}", "t", DAY0 + day * DAY_MS, *[value] * 6) for day in range(4)]

    made = account_pnl(rows)

    assert [point["positionValue"] for point in made] == [decimals.to_string(Decimal(value))] * 4
    assert [point["deposits"] for point in made] == [decimals.to_string(Decimal(value))] * 4
