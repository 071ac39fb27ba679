"""Trades and their PnL for one account: the "Refresh trades" and "Recompute trades" runs
(data-model §8), on the account's writer, in one transaction, with the original's progress.

A refresh starts after ``tradesCursor`` (the latest close it saw), or after ``tradesScanCursor``
(the last log the previous run went through) when every log since came later: the open trades
are taken up again and the logs after the cursor continue them; with neither, it starts over.
Trades are written one asset at a time, so only a summary of each stays in memory. Only listed
assets (with a coingeckoId) have trades. Audit-log balances must be computed first: PnL reads
them. Cash fees and dividends count in the trade of their asset (decision 0023): a dividend's
logs are cash, so a refresh also reads the dividends after its start.
"""

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Container, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from typing import NamedTuple, Required, TypedDict, Unpack

import orjson

from privatefolio_daemon.domain import asset_ids, decimals, trades_offline
from privatefolio_daemon.domain.balances import CURSOR_KEY as BALANCES_CURSOR
from privatefolio_daemon.domain.balances import stored_cursor
from privatefolio_daemon.domain.day_ahead import last_valued_day, series_with_day_ahead, today
from privatefolio_daemon.domain.derived_steps import Cancel, Progress
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PNL_STALE_FROM, invalidate_trades
from privatefolio_daemon.domain.jsmath import js_number_text
from privatefolio_daemon.domain.key_value import write_value
from privatefolio_daemon.domain.thread_progress import Report, thread_safe
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date
from privatefolio_daemon.domain.trade_dividends import DividendIncome
from privatefolio_daemon.domain.trade_pnl import (
    AccountPnl,
    PnlRow,
    Sums,
    account_pnl,
    day_end,
    paid_outside,
    trade_pnl_rows,
)
from privatefolio_daemon.domain.trades_engine import (
    Trade,
    largest_position,
    reopen,
    trades_of_asset,
)
from privatefolio_daemon.store import trades as store
from privatefolio_daemon.store.database import Database, in_transaction, wal_database_file
from privatefolio_daemon.store.key_value import delete_value, read_value
from privatefolio_daemon.store.seen_through import seen_through
from privatefolio_daemon.store.trade_tag_carry import carry_trade_tags

TRADES_CURSOR = "tradesCursor"
PNL_CURSOR = "tradePnlCursor"
TRADE_SEQ = "trade_seq"
SCAN_POSITIONS = "tradesScanPositions"
"""``{assetId: decimal}``: each open trade's exact position at ``tradesScanCursor``, written with
it, so that a run going on from there need not add up the logs."""
TRADES_SCAN_CURSOR = "tradesScanCursor"
"""The daemon's own key: the time of the last log a run went through. Logs that all come later
continue the open trades from there, not from the last close, which may be years back for an
asset held since. An invalidation at or before it sets it to 0 (see ``invalidation``)."""
CASH_RULES = "tradesCountCash"
"""The daemon's own key, 1 once a run counted cash fees and dividends (decision 0023): trades
computed before, of a ledger that has either, are computed again from the start, once."""


_RUN_KEYS = (TRADES_CURSOR, TRADES_SCAN_CURSOR, TRADE_SEQ, PNL_CURSOR)
"""The key-value entries a run writes (and announces) besides its private positions."""


class TradeSummary(NamedTuple):
    """What numbering, the cursor and the progress lines need of a saved trade."""

    id: str
    created_at: int
    trade_number: int
    closed_at: int | None
    trade_type: str
    amount: Decimal
    """Exact: the stored text keeps 15 digits, the progress line prints the JS number."""
    asset_id: str
    balance: Decimal
    """Exact, as ``amount``: an open trade's position, the asset's whole balance."""
    as_stored: bool = False
    """An open trade a refresh left as stored: its PnL rows stand up to the latest one."""

    @classmethod
    def of(cls, trade: Trade) -> "TradeSummary":
        return cls(
            trade.id,
            trade.created_at,
            trade.trade_number,
            trade.closed_at,
            trade.trade_type,
            trade.amount,
            trade.asset_id,
            trade.balance,
        )


@dataclass(frozen=True, slots=True)
class TradesResult:
    trades: int
    pnl_rows: int


class PassOptions(TypedDict, total=False):
    """The options of ``trades_pass``, for ``run_trades_pass`` to hand on."""

    full: Required[bool]
    progress: Required[Report]
    checkpoint: Callable[[], None]
    changed_since: int | None


def run_trades_pass(
    connection: sqlite3.Connection, listed: Container[str], **options: Unpack[PassOptions]
) -> TradesResult:
    """``trades_pass`` in a transaction of its own."""
    return in_transaction(connection, lambda conn: trades_pass(conn, listed, **options))


def trades_pass(
    conn: sqlite3.Connection,
    listed: Container[str],
    *,
    full: bool,
    progress: Report,
    checkpoint: Callable[[], None] = lambda: None,
    changed_since: int | None = None,
) -> TradesResult:
    """A trades run inside the caller's transaction. ``changed_since``: the logs from then on
    are read again, as after a change of a log at that time (every trade goes when it is at or
    before the last close)."""
    if changed_since is not None:
        invalidate_trades(conn, changed_since - 1, changed_since)
    if full or _starts_over(conn):
        store.delete_trades(conn)
        write_value(conn, TRADE_SEQ, 0)
        write_value(conn, TRADES_CURSOR, 0)
        write_value(conn, TRADES_SCAN_CURSOR, 0)
        write_value(conn, PNL_CURSOR, 0)
    if read_value(conn, CASH_RULES) != 1:
        write_value(conn, CASH_RULES, 1)
    since = _resume_point(conn)
    open_trades: dict[str, Trade] = {}
    trades = _compute_trades(conn, listed, progress, checkpoint, open_trades)
    stale_from = _take_stale_from(conn)
    repriced = [] if stale_from is None else _repriced_trades(conn, trades or [], stale_from)
    if trades is None and not repriced:
        return TradesResult(0, 0)
    checkpoint()
    # Nothing before the day of the first log read again, nor before a changed price, moved.
    kept_before = day_start(since) if stale_from is None else min(day_start(since), stale_from)
    all_trades = [*(trades or []), *repriced]
    first_days = _first_pnl_days(conn, all_trades, kept_before, stale_from)
    pnl_rows = _compute_pnl(conn, all_trades, progress, checkpoint, first_days, open_trades)
    return TradesResult(len(trades or []), pnl_rows)


def _starts_over(conn: sqlite3.Connection) -> bool:
    """Whether a refresh has nothing to go on from, or goes on from trades that left out the
    ledger's cash fees and dividends."""
    if _resume_point(conn) == 0:
        return True
    return read_value(conn, CASH_RULES) != 1 and store.has_cash_flows(conn)


def _compute_trades(
    conn: sqlite3.Connection,
    listed: Container[str],
    progress: Report,
    checkpoint: Callable[[], None],
    open_trades: dict[str, Trade],
) -> list[TradeSummary] | None:
    """``open_trades`` receives, on a refresh, the trades still open after it, whose rows the
    refresh holds anyway (a full run lets every trade's rows go once saved)."""
    since = _resume_point(conn)
    if since != 0:
        progress(0, f"Refreshing trades starting {human_date(since)}")
    progress(0, "Fetching audit logs")
    assets, count = store.assets_in_order(conn, since)
    # Logs after ``since`` may have changed or gone (an invalidation set the scan cursor back):
    # every open trade is taken up, also one whose asset has no log left after it.
    changed = since != 0 and stored_cursor(conn, TRADES_SCAN_CURSOR) != since
    take_up = set(assets) | (store.open_trade_assets(conn) if changed else set())
    if count == 0 and not take_up:
        progress(100, "No audit logs found")
        return None
    scanned_to = max(since, store.last_log_time(conn))
    progress(2.5, f"Processing {count} audit logs")
    kept = [asset for asset in assets if asset in listed]
    skipped = len(assets) - len(kept)
    dividends = store.dividends_after(conn, since)
    if since != 0:  # a dividend after ``since`` goes to the open trade of its asset
        paid_on = set(dividends) - set(assets)
        extra = sorted(paid_on & (store.open_trade_assets(conn) if paid_on else set()))
        take_up.update(extra)
        kept += [asset for asset in extra if asset in listed]
    progress(6, f"Found {len(kept)} asset groups (skipped {skipped} unlisted assets)")
    taken: dict[str, Trade] = {}
    untouched: list[TradeSummary] = []
    if since != 0:
        if changed:
            store.unlink_removed(conn)
        taken, untouched = _take_up(conn, since, take_up)
        progress(6, f"Found {len(taken) + len(untouched)} open trades")
    summaries: list[TradeSummary] = []
    prices = _valued_prices(conn)
    is_cash = _cash_of(listed)
    for done, asset in enumerate(kept, 1):
        checkpoint()
        logs, found = store.asset_logs(conn, asset, since)
        open_trade = taken.pop(asset, None)
        asset_trades = trades_of_asset(
            logs,
            open_trade,
            found.get,
            lambda a, day: prices(a).get(day),
            dividends.get(asset, ()),
            is_cash,
        )
        if open_trade is not None and open_trade.closed_at is not None:
            store.unlink_after_close(conn, open_trade)
        summaries += _save(conn, asset_trades)
        if since != 0:
            open_trades.update((t.id, t) for t in asset_trades if t.closed_at is None)
        percent = 6 + done * 19 // len(kept)
        progress(percent, f"Processed all trades for {asset_ids.ticker(asset)}")
    summaries += _save(conn, taken.values())
    summaries += untouched
    open_trades.update((trade.id, trade) for trade in taken.values())
    summaries = _number_new_trades(conn, _in_opening_order(conn, summaries))
    _remember_scan(conn, scanned_to, summaries)
    closed = [trade.closed_at for trade in summaries if trade.closed_at is not None]
    if closed:
        cursor = max(closed)
        write_value(conn, TRADES_CURSOR, cursor)
        progress(25, f"Setting trades cursor to {human_date(cursor)}")
    progress(25, f"Computed {len(summaries)} trades")
    return summaries


def _cash_of(listed: Container[str]) -> Callable[[str], bool]:
    """Cash: a fiat currency, unless it has trades of its own (a coingeckoId given to it)."""

    @cache
    def is_cash(asset_id: str) -> bool:
        return asset_ids.asset_type(asset_id) == "fiat" and asset_id not in listed

    return is_cash


def _in_opening_order(conn: sqlite3.Connection, trades: list[TradeSummary]) -> list[TradeSummary]:
    """The trades by opening time; trades of different assets that open at one moment in the
    order of their assets' first logs ever. A full run reads the assets in that order; a refresh,
    which reads them in the order of their first logs after its start, looks it up."""
    moments: dict[int, set[str]] = {}
    for trade in trades:
        moments.setdefault(trade.created_at, set()).add(trade.asset_id)
    tied = set().union(*(assets for assets in moments.values() if len(assets) > 1))
    first = store.first_logs(conn, tied)
    return sorted(trades, key=lambda trade: (trade.created_at, first.get(trade.asset_id, ())))


def _take_stale_from(conn: sqlite3.Connection) -> int | None:
    """``tradePnlStaleFrom``, removed: this run prices the trades it names."""
    stale_from = read_value(conn, PNL_STALE_FROM)
    if stale_from is None:
        return None
    delete_value(conn, PNL_STALE_FROM)
    return int(stale_from)


def _repriced_trades(
    conn: sqlite3.Connection, computed: list[TradeSummary], stale_from: int
) -> list[TradeSummary]:
    """The trades open or closed from ``stale_from`` on that the run did not go through."""
    known = {trade.id for trade in computed}
    rows = store.trades_to_price(conn, stale_from)
    return [_summary(conn, row, exact_amount=False) for row in rows if row.id not in known]


def _take_up(
    conn: sqlite3.Connection, since: int, read: set[str]
) -> tuple[dict[str, Trade], list[TradeSummary]]:
    """The open trades of ``read`` (the assets with logs after ``since``; after a change, every
    asset with an open trade), by asset, as they were at ``since``, where a refresh takes them
    up. The others stay as stored, rows and links: only their summaries are returned (a trade
    held for years has a row per transaction)."""
    taken: dict[str, Trade] = {}
    known = _scan_positions(conn, since)
    untouched = [
        _summary(conn, row, exact_amount=False)._replace(
            balance=_position(conn, known, row.asset_id, since), as_stored=True
        )
        for row in store.open_trades_of_others(conn, read)
    ]
    for trade in _open_trades_before(conn, since, read):
        position = _position(conn, known, trade.asset_id, since)
        reopen(trade, since, position)
        if trade.asset_id not in known:  # logs after ``since`` may have raised its amount
            trade.amount = largest_position(position, store.linked_changes(conn, trade.id, since))
        taken[trade.asset_id] = trade
    return taken, untouched


def _open_trades_before(conn: sqlite3.Connection, since: int, read: set[str]) -> list[Trade]:
    """The open trades of ``read`` to take up again at ``since``. One opened after it is made
    again from the logs, which may now open it earlier: it is deleted, with its number (the
    latest ones, since trades are numbered in the order they open)."""
    open_trades = store.open_trades(conn, since, read)
    later = [trade.id for trade in open_trades if trade.created_at > since]
    if later:
        store.delete_trades_by_id(conn, later)
        write_value(conn, TRADE_SEQ, int(read_value(conn, TRADE_SEQ) or 0) - len(later))
    return [trade for trade in open_trades if trade.created_at <= since]


def _remember_scan(conn: sqlite3.Connection, at: int, trades: list[TradeSummary]) -> None:
    """The last log gone through, and each open trade's exact position there."""
    positions = {t.asset_id: str(t.balance) for t in trades if t.closed_at is None}
    write_value(conn, TRADES_SCAN_CURSOR, at)
    write_value(conn, SCAN_POSITIONS, orjson.dumps(positions).decode())


def _scan_positions(conn: sqlite3.Connection, since: int) -> dict[str, str]:
    """The open trades' positions the last run left, if it went through the logs up to
    ``since`` (a run that goes on from there)."""
    if stored_cursor(conn, TRADES_SCAN_CURSOR) != since:  # an invalidation set it back
        return {}
    stored = read_value(conn, SCAN_POSITIONS)
    positions = orjson.loads(stored) if isinstance(stored, str) else None
    return dict(positions) if isinstance(positions, dict) else {}


def _position(conn: sqlite3.Connection, known: dict[str, str], asset: str, since: int) -> Decimal:
    text = known.get(asset)
    return Decimal(text) if text is not None else store.position(conn, asset, since)


def _resume_point(conn: sqlite3.Connection) -> int:
    """Where a refresh goes on from: the later of the last close and the last log gone through."""
    return max(stored_cursor(conn, TRADES_CURSOR), stored_cursor(conn, TRADES_SCAN_CURSOR))


def _save(conn: sqlite3.Connection, trades: Iterable[Trade]) -> list[TradeSummary]:
    """Write the trades (new ones still unnumbered) and their links; their rows are let go."""
    saved = list(trades)
    store.save_trades(conn, saved)
    store.save_links(conn, saved)
    return [TradeSummary.of(trade) for trade in saved]


def _number_new_trades(conn: sqlite3.Connection, trades: list[TradeSummary]) -> list[TradeSummary]:
    sequence = int(read_value(conn, TRADE_SEQ) or 0)
    numbered: list[TradeSummary] = []
    for trade in trades:
        if trade.trade_number == -1:
            sequence += 1
            trade = trade._replace(trade_number=sequence)
        numbered.append(trade)
    store.number_trades(conn, [(trade.trade_number, trade.id) for trade in numbered])
    write_value(conn, TRADE_SEQ, sequence)
    return numbered


def _first_pnl_days(
    conn: sqlite3.Connection,
    trades: list[TradeSummary],
    kept_before: int,
    stale_from: int | None,
) -> dict[str, int]:
    """By trade id, the day its PnL is made again from: ``kept_before``, or for a trade left as
    stored, the day after its latest row (its logs, and so its balances and rows, are as they
    were), unless a price changed before then."""
    first_days = {}
    for trade in trades:
        latest = store.latest_pnl_day(conn, trade.id) if trade.as_stored else None
        after_latest = kept_before if latest is None else latest + DAY_MS
        if stale_from is not None:
            after_latest = min(after_latest, stale_from)
        first_days[trade.id] = max(kept_before, after_latest)
    return first_days


def _compute_pnl(
    conn: sqlite3.Connection,
    trades: list[TradeSummary],
    progress: Report,
    checkpoint: Callable[[], None],
    first_days: Mapping[str, int] | None = None,
    loaded: Mapping[str, Trade] | None = None,
) -> int:
    """The PnL rows of ``trades`` from their day in ``first_days`` on (every row when none, and
    always their first, zero row) made again; their earlier rows stay. ``loaded``: trades already
    in memory, by id."""
    first_day_of = first_days or {}
    since = stored_cursor(conn, PNL_CURSOR)
    if since != 0:
        progress(25, f"Refreshing PnL starting {human_date(since)}")
    store.delete_pnl(conn, [(trade.id, first_day_of.get(trade.id, 0)) for trade in trades])
    if not trades:
        progress(100, "No trades found")
        return 0
    progress(30, f"Computing PnL for {len(trades)} trades")
    last_day = _last_day(conn)
    rows: list[PnlRow] = []
    latest_day: int | None = None
    earliest = min(first_day_of.values(), default=0)
    prices = _valued_prices(conn, earliest)
    balances = cache(partial(store.AssetBalances, conn, since=earliest))
    kept_sums = {
        trade.id: _sums_before(conn, trade, first_day_of[trade.id])
        for trade in trades
        if first_day_of.get(trade.id)
    }
    counted_after = {  # a trade whose asset has no price has no row to count dividends in
        trade.id: _counted_after(trade, kept_sums.get(trade.id))
        for trade in trades
        if prices(trade.asset_id)
    }
    dividends = DividendIncome(conn, counted_after, _valued_prices(conn))
    for done, summary in enumerate(trades, 1):
        checkpoint()
        first_day = first_day_of.get(summary.id, 0)
        sums = kept_sums.get(summary.id)
        trade = (loaded or {}).get(summary.id) or _trade_for_pnl(conn, summary.id, sums)
        asset = trade.asset_id
        asset_prices = prices(asset)
        balance_at = balances(asset).at if asset_prices else _no_balance
        trade_rows = trade_pnl_rows(
            trade,
            list(asset_prices.items()),
            balance_at,
            last_day,
            first_day,
            sums,
            dividends.rows(trade.id, asset),
        )
        rows += trade_rows
        if len(trade_rows) > 1:
            latest_day = max(latest_day or 0, trade_rows[-1].timestamp)
        amount = js_number_text(float(summary.amount))
        progress(
            30 + done * 65 // len(trades),
            f"Processed trade #{summary.trade_number} ({summary.trade_type} {amount} "
            f"{asset_ids.ticker(asset)})",
        )
    progress(95, f"Saving {len(rows)} records to disk")
    store.save_pnl(conn, rows)
    if latest_day is not None:
        write_value(conn, PNL_CURSOR, latest_day)
        progress(98, f"Setting profit & loss cursor to {human_date(latest_day)}")
    progress(100, "PnL computation completed")
    return len(rows)


def _counted_after(trade: TradeSummary, sums: Sums | None) -> int:
    """The moment after which the trade's dividends are added up: that of its kept sums, or its
    opening (a dividend at that moment went to the asset's trade before it)."""
    return trade.created_at if sums is None else sums.moment


def _last_day(conn: sqlite3.Connection) -> int:
    """Today, or tomorrow when the ledger has a log then (``day_ahead``)."""
    return last_valued_day(day_start(store.last_log_time(conn)), today())


def _valued_prices(conn: sqlite3.Connection, since: int = 0) -> Callable[[str], dict[int, Decimal]]:
    """Each asset's daily prices from ``since`` on, with today's on tomorrow when the ledger
    has a log then, cached."""
    current, last_day = today(), _last_day(conn)

    def of(asset_id: str) -> dict[int, Decimal]:
        series = store.prices_of_asset(conn, asset_id, min(since, current))
        return series_with_day_ahead(series, last_day, current)

    return cache(of)


def _trade_for_pnl(conn: sqlite3.Connection, trade_id: str, sums: Sums | None) -> Trade:
    """The stored trade; without its rows when none comes after its kept sums (they are in the
    sums already): the usual case of an open trade that a refresh leaves as stored."""
    if sums is not None and not store.may_have_rows_after(conn, trade_id, sums.moment):
        return store.trade(conn, trade_id, rows=False)
    return store.trade(conn, trade_id)


def _sums_before(conn: sqlite3.Connection, trade: TradeSummary, before: int) -> Sums | None:
    """The sums of the trade's latest kept row (its zero row is none: it is not a sum)."""
    genesis = day_start(trade.created_at) - DAY_MS
    found = store.pnl_sums_before(conn, trade.id, genesis, before)
    if found is None:
        return None
    day, texts = found
    values = [decimals.parse(text) for text in texts]
    _position, cost, proceeds, fees, deposits, _pnl = values
    return Sums(day_end(day), (cost, proceeds, fees, deposits, paid_outside(values)))


def run_pnl_pass(
    connection: sqlite3.Connection,
    *,
    since: int | None,
    progress: Report,
    checkpoint: Callable[[], None] = lambda: None,
) -> int:
    """The PnL of the trades open or closed from ``since`` on (every trade when 0), made again;
    the rows of the others stay. ``since`` is ``tradePnlCursor`` when None, never after it."""

    def run(conn: sqlite3.Connection) -> int:
        cursor = stored_cursor(conn, PNL_CURSOR)
        start = cursor if since is None else min(since, cursor)
        if start < cursor:
            write_value(conn, PNL_CURSOR, start)
        stale_from = read_value(conn, PNL_STALE_FROM)
        if stale_from is not None:
            start = min(start, int(stale_from))
            delete_value(conn, PNL_STALE_FROM)
        trades = [_summary(conn, row) for row in store.trades_to_price(conn, start)]
        return _compute_pnl(conn, trades, progress, checkpoint)

    return in_transaction(connection, run)


def _summary(
    conn: sqlite3.Connection, row: store.StoredTrade, *, exact_amount: bool = True
) -> TradeSummary:
    """``exact_amount``: the amount as a run printed it (``_amount``), else as stored. Only the
    progress line shows it; the lines of a repricing have no original to match, and finding the
    exact amount of a trade held for years reads every log it linked."""
    balance = decimals.parse(str(row.balance))
    return TradeSummary(
        row.id,
        row.created_at,
        row.trade_number,
        row.closed_at,
        row.trade_type,
        _amount(conn, row) if exact_amount else decimals.parse(str(row.amount)),
        row.asset_id,
        balance,
    )


def _amount(conn: sqlite3.Connection, row: store.StoredTrade) -> Decimal:
    """The amount a run printed: the stored one keeps 15 digits, the balances the trade's logs
    were left at give them all (when they are there and agree with it)."""
    stored = decimals.parse(str(row.amount))
    logged = store.largest_linked_balance(conn, row.id)
    if logged is not None and f"{float(logged):.15g}" == f"{float(stored):.15g}":
        return logged
    return stored


def mark_pnl_stale_past_balances(conn: sqlite3.Connection) -> None:
    """PnL values a position with its audit logs' balances. A run before the balances pass
    reached its logs (a refresh asked for right after a new transaction, or set off by a price
    change) left rows without them: they are marked stale from the balances cursor, so that the
    run after the balances pass prices them again."""
    last_log = store.last_log_time(conn)
    balances = stored_cursor(conn, BALANCES_CURSOR)
    if balances >= day_start(last_log) or not store.has_trades(conn):
        return
    stale_from = read_value(conn, PNL_STALE_FROM)
    if not isinstance(stale_from, int) or balances < stale_from:
        write_value(conn, PNL_STALE_FROM, balances)


def _no_balance(moment: int) -> Decimal:
    raise AssertionError("no price, so no balance is needed")


class Trades:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        listed_ids: Callable[[], Awaitable[Container[str]]],
        off_writer_min_logs: int = 0,
    ) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._listed_ids = listed_ids
        self._off_writer_min_logs = off_writer_min_logs

    async def refresh(self, progress: Progress, cancel: Cancel) -> TradesResult:
        """From ``tradesCursor`` on, continuing the open trades."""
        return await self._run(False, progress, cancel)

    async def compute(
        self, progress: Progress, cancel: Cancel, *, since: int | None
    ) -> TradesResult:
        """A refresh when ``since`` is None, a recompute when 0; otherwise the logs from
        ``since`` on are read again, as after a change of a log then, and then a refresh."""
        if since == 0:
            return await self.recompute(progress, cancel)
        return await self._run(False, progress, cancel, changed_since=since)

    async def compute_pnl(self, progress: Progress, cancel: Cancel, *, since: int | None) -> int:
        """The PnL of the trades open or closed from ``since`` on (see ``run_pnl_pass``)."""
        report = thread_safe(progress)
        rows, cursor = await seen_through(
            self._db.write(
                lambda conn: (
                    run_pnl_pass(conn, since=since, progress=report, checkpoint=cancel.checkpoint),
                    stored_cursor(conn, PNL_CURSOR),
                )
            )
        )
        self._events.emit("trade-pnl", "updated", account=self.account)
        self._events.emit("key-value", PNL_CURSOR, cursor, account=self.account)
        return rows

    async def recompute(self, progress: Progress, cancel: Cancel) -> TradesResult:
        """Delete every trade, link and PnL row and ``trade_seq``, then compute them all."""
        return await self._run(True, progress, cancel)

    async def account_pnl(self, start: int | None, end: int | None) -> list[AccountPnl]:
        return await self._db.read(lambda conn: account_pnl(store.pnl_rows(conn, start, end)))

    async def _run(
        self, full: bool, progress: Progress, cancel: Cancel, changed_since: int | None = None
    ) -> TradesResult:
        listed = await self._listed_ids()
        report = thread_safe(progress)
        offline = None
        if changed_since is None and await self._long_run(full):
            offline = await self._run_off_the_writer(full, listed, report, cancel)
            if offline is None:
                report(None, "The ledger changed during the computation: computing again")
        if offline is not None:
            result, values = offline
        else:

            def run(conn: sqlite3.Connection) -> tuple[TradesResult, dict[str, object]]:
                result = run_trades_pass(
                    conn,
                    listed,
                    full=full,
                    progress=report,
                    checkpoint=cancel.checkpoint,
                    changed_since=changed_since,
                )
                return result, {key: read_value(conn, key) for key in _RUN_KEYS}

            result, values = await seen_through(self._db.write(run))
        # The trades are committed: what completes them is written even if the task is cancelled.
        tagged = await seen_through(self._settle())
        self._events.emit("trades", "created", account=self.account)
        for trade_id in tagged:
            self._events.emit("trades", "updated", trade_id, account=self.account)
        self._events.emit("trade-pnl", "updated", account=self.account)
        for key, value in values.items():
            self._events.emit("key-value", key, value, account=self.account)
        return result

    async def _settle(self) -> list[str]:
        """After a run: the PnL past the balances marked stale, the trades' tags carried over;
        returns the ids of the trades tagged."""
        await self._db.write(mark_pnl_stale_past_balances)
        tagged: list[str] = await self._db.transaction(carry_trade_tags)
        return tagged

    async def _long_run(self, full: bool) -> bool:
        """Whether the run starts over, or reads at least ``off_writer_min_logs`` logs again;
        and the ledger can be read while the writer writes (write-ahead logging)."""

        def long_run(conn: sqlite3.Connection) -> bool:
            if wal_database_file(conn) is None:
                return False
            if full or _starts_over(conn):
                return True
            since = _resume_point(conn)
            minimum = self._off_writer_min_logs
            return minimum > 0 and store.count_logs_after(conn, since, minimum) >= minimum

        return await self._db.read(long_run)

    async def _run_off_the_writer(
        self, full: bool, listed: Container[str], report: Report, cancel: Cancel
    ) -> tuple[TradesResult, dict[str, object]] | None:
        """The run computed from a snapshot into a scratch file, then swapped in; None when the
        trades were invalidated meanwhile (see ``trades_offline``)."""
        ledger = self._db.path
        scratch = trades_offline.scratch_path(ledger)
        computed: list[TradesResult] = []

        def run(conn: sqlite3.Connection) -> None:
            pass_ = trades_pass(
                conn, listed, full=full, progress=report, checkpoint=cancel.checkpoint
            )
            computed.append(pass_)

        try:
            carried = None if full else (*_RUN_KEYS, SCAN_POSITIONS, PNL_STALE_FROM, CASH_RULES)
            snapshot = await asyncio.to_thread(
                trades_offline.compute_in_scratch, ledger, scratch, run, carried
            )
            keys = (*_RUN_KEYS, SCAN_POSITIONS, CASH_RULES)
            applied = await seen_through(
                self._db.write(
                    lambda conn: trades_offline.apply_if_current(conn, scratch, snapshot, keys)
                )
            )
        finally:
            with suppress(OSError):  # still open on Windows after a cancel: the next run removes it
                scratch.unlink(missing_ok=True)
        if applied is None:
            return None
        return computed[0], {key: applied[key] for key in _RUN_KEYS}
