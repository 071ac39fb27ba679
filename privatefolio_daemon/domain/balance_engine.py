"""Daily balances (data-model §5) as one ordered, streaming pass over the audit logs.

The caller reads the logs in canonical ascending order (``timestamp ASC, changeN ASC, id ASC``)
and passes them as ``(id, assetId, change, timestamp, wallet)`` tuples. The pass writes its
output to a :class:`BalanceSink` in batches while it goes on, so memory stays
O(assets × wallets + page size) whatever the number of logs.

The rules are the original's:

- a total that does not exist yet takes the **raw change string**; later totals are big.js
  ``toFixed()`` sums; an entry whose text is exactly ``"0"`` is removed;
- each day row holds the totals at the end of that day; missing days between two active days
  are copies of the totals before the gap;
- after the last log, rows are copied forward for every day ``≤ until`` (0 disables this);
- a fresh history gets an empty ``{}`` row the day before its first day (not before 1970-01-02).

Each closed day also snapshots the wallets that changed that day (every wallet on a pass's first
day), ``{assetId: balanceWallet}``, so that a later incremental run loads its start state from
the snapshots instead of from the logs.

Deliberate differences, which make an incremental run give exactly what a full run gives:

- a day row is written once, when the day closes (the original pages by 1000 logs and writes a
  day that straddles two pages twice, so its "Saved R records" can be higher by one per such
  page boundary, and its "Processed K daily balances" counts that day in both pages);
- an incremental run whose starting row exists fills the days from ``since`` up to its first log
  (the original starts filling at the first log, leaving those rows to a previous run);
- an incremental run without a starting row behaves like a fresh history (empty row before its
  first day) instead of starting at its first log with no ``{}`` row;
- a starting wallet entry ``"0"`` counts as absent (the original keeps it, so the next sum is
  normalised where a full run would copy the raw change string).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation
from itertools import islice
from typing import Protocol, cast

import orjson

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date, utc_text

LogRecord = tuple[str, str, str, int, str]
"""One audit log as the pass reads it: ``(id, assetId, change, timestamp, wallet)``."""

LogBalance = tuple[str, str, str]
"""``(balance, balanceWallet, id)``, the parameters of the audit-log UPDATE."""

DayRow = tuple[int, dict[str, str]]
"""``(day start ms, {assetId: decimal string})``; the sink must not mutate the dict."""

WalletDay = tuple[int, str, str]
"""``(day start ms, wallet, JSON {assetId: balanceWallet})``: a wallet at the end of a day."""

Progress = Callable[[float | None, str | None], None]
Checkpoint = Callable[[], None]

PAGE_SIZE = 1000

_EXACT = Context(prec=200, traps=[Inexact, InvalidOperation])
"""Sums are exact (like big.js) or raise; a bound ``add`` is cheaper than a wrapper call."""


class BalanceSink(Protocol):
    def write_log_balances(self, updates: list[LogBalance]) -> None: ...

    def write_day_rows(self, rows: list[DayRow]) -> None: ...

    def write_wallet_days(self, rows: list[WalletDay]) -> None: ...


@dataclass(frozen=True, slots=True)
class BalanceStart:
    """Where an incremental run starts, loaded by the caller.

    ``since`` is a day start. ``totals`` is the balances row of ``since − 1 day``, or None when
    that row does not exist. ``wallet_totals`` maps wallet → assetId → the ``balanceWallet`` of
    the latest log with ``timestamp < since``, for every pair that has such a log; entries
    equal to ``"0"`` are ignored. Two differences from the original's loader keep an
    incremental run equal to a full one: it uses ``≤ since``, which counts the logs at exactly
    ``since`` twice, and it only looks at the assets of ``totals``, which misses a wallet that
    holds an asset whose total across wallets is zero.
    """

    since: int
    totals: Mapping[str, str] | None
    wallet_totals: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class BalancePassResult:
    """``cursor`` is the new ``balancesCursor``; None means: delete every balances row and
    leave the cursor alone (a full run over no logs)."""

    cursor: int | None
    rows_written: int
    logs_processed: int


def compute_daily_balances(
    logs: Iterable[LogRecord],
    sink: BalanceSink,
    *,
    log_count: int,
    start: BalanceStart | None = None,
    until: int = 0,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    page_size: int = PAGE_SIZE,
) -> BalancePassResult:
    """Run the pass: a full run when ``start`` is None, else an incremental run.

    ``log_count`` is the number of logs the caller is about to stream (for progress only).
    ``checkpoint`` runs before every page of ``page_size`` logs and may raise to cancel; the
    sink has then received every complete batch so far, and no cursor has been decided.
    """
    run = _BalancePass(sink, start, log_count, progress or _ignore, page_size)
    return run.execute(iter(logs), until, checkpoint)


def _ignore(percent: float | None, message: str | None) -> None:
    pass


def _unsummable(page: list[LogRecord]) -> decimals.InvalidAmount:
    """The error for a page that holds a change the pass cannot add exactly."""
    for _, asset_id, change, timestamp, wallet in page:
        try:
            decimals.parse(change)
        except decimals.InvalidAmount as error:
            where = f"The audit log of {asset_id} in {wallet} at {utc_text(timestamp)}"
            return decimals.InvalidAmount(f"{where}: {error}", error.reason)
    return decimals.InvalidAmount(f"A sum of balances needs more than {_EXACT.prec} digits")


class _BalancePass:
    def __init__(
        self,
        sink: BalanceSink,
        start: BalanceStart | None,
        log_count: int,
        progress: Progress,
        page_size: int,
    ) -> None:
        self.sink = sink
        self.progress = progress
        self.log_count = log_count
        self.page_size = page_size
        self.since_day = day_start(start.since) if start else 0
        self.full_run = start is None
        self.fresh = start is None or start.totals is None
        self.known_day: int | None = None if self.fresh else self.since_day - DAY_MS
        self.totals: dict[str, str] = {}
        self.totals_value: dict[str, Decimal] = {}
        self.wallets: dict[str, dict[str, Decimal]] = {}
        self.wallet_texts: dict[str, dict[str, str]] = {}
        self.touched_wallets: set[str] = set()
        self.wallet_days: list[WalletDay] = []
        self.first_close = True
        if start is not None:
            self._load(start)
        self.first_day: int | None = None
        self.current_day = -1  # never a day start: the first log always opens a day
        self.row: dict[str, str | None] | None = None
        self.row_lost_entries = False
        self.updates: list[LogBalance] = []
        self.rows: list[DayRow] = []
        self.rows_written = 0
        self.page_rows = 0

    def _load(self, start: BalanceStart) -> None:
        for asset_id, text in (start.totals or {}).items():
            self.totals[asset_id] = text
            self.totals_value[asset_id] = decimals.parse(text)
        for wallet, held in start.wallet_totals.items():
            texts = {asset_id: text for asset_id, text in held.items() if text != "0"}
            self.wallet_texts[wallet] = texts
            self.wallets[wallet] = {
                asset_id: decimals.parse(text) for asset_id, text in texts.items()
            }
        self.progress(0, f"Refreshing balances starting {human_date(start.since)}")

    def execute(
        self, logs: Iterator[LogRecord], until: int, checkpoint: Checkpoint | None
    ) -> BalancePassResult:
        self.progress(0, f"Computing balances for {self.log_count} audit logs")
        processed = 0
        page = list(islice(logs, self.page_size))
        while page:
            if checkpoint is not None:
                checkpoint()
            first = processed + 1
            last = min(processed + self.page_size, max(self.log_count, processed + len(page)))
            self.progress(self._percent(processed), f"Processing logs {first} to {last}")
            try:
                self._apply(page)
            except ArithmeticError:
                raise _unsummable(page) from None
            processed += len(page)
            page = list(islice(logs, self.page_size))
            if not page:
                self._close_day()
            self._flush()
            self.progress(self._percent(processed), f"Processed {self.page_rows} daily balances")
            self.page_rows = 0
        if processed == 0 and self.full_run:
            return BalancePassResult(cursor=None, rows_written=0, logs_processed=0)
        cursor = self._finish(until)
        self.progress(99, f"Setting balances cursor to {human_date(cursor)}")
        self.progress(100, f"Saved {self.rows_written} records to disk")
        return BalancePassResult(cursor, self.rows_written, processed)

    def _percent(self, done: int) -> int:
        return (min(done, self.log_count) * 90) // self.log_count if self.log_count else 0

    def _apply(self, page: list[LogRecord]) -> None:
        """The hot loop: one log at a time, no per-log copies, strings formatted once."""
        totals, totals_value, wallets = self.totals, self.totals_value, self.wallets
        wallet_texts, touched_wallets = self.wallet_texts, self.touched_wallets
        updates = self.updates
        add, to_fixed = _EXACT.add, decimals.to_fixed
        current_day, row = self.current_day, self.row
        for log_id, asset_id, change, timestamp, wallet in page:
            day = timestamp - timestamp % DAY_MS
            if day != current_day:
                self.current_day, self.row = current_day, row
                self._open_day(day)
                current_day, row = day, None
            amount = Decimal(change)  # validated on import; the hot loop skips parse()'s checks
            held = wallets.get(wallet)
            if held is None:
                held = wallets[wallet] = {}
                wallet_texts[wallet] = {}
            held_texts = wallet_texts[wallet]
            touched_wallets.add(wallet)
            previous = held.get(asset_id)
            if previous is None:
                wallet_value, wallet_text = amount, change
            else:
                wallet_value = add(previous, amount)
                wallet_text = to_fixed(wallet_value)
            previous_total = totals_value.get(asset_id)
            if previous_total is None:
                total_value, total_text = amount, change
            elif previous_total is previous:  # one wallet holds the whole total: same sum
                total_value, total_text = wallet_value, wallet_text
            else:
                total_value = add(previous_total, amount)
                same = previous is not None and total_value == wallet_value
                total_text = wallet_text if same else to_fixed(total_value)
            updates.append((total_text, wallet_text, log_id))
            if wallet_text == "0":
                held.pop(asset_id, None)
                held_texts.pop(asset_id, None)
            else:
                held[asset_id] = wallet_value
                held_texts[asset_id] = wallet_text
            if total_text == "0":
                totals.pop(asset_id, None)
                totals_value.pop(asset_id, None)
            else:
                totals[asset_id] = total_text
                totals_value[asset_id] = total_value
            if row is None:
                row = cast(dict[str, str | None], totals.copy())
            elif total_text == "0":
                row[asset_id] = None
                self.row_lost_entries = True
            else:
                row[asset_id] = total_text
        self.current_day, self.row = current_day, row

    def _open_day(self, day: int) -> None:
        """Close the open day and fill the days between it and ``day``."""
        previous = self.current_day if self.row is not None else self.known_day
        self._close_day()
        if self.first_day is None:
            self.first_day = day
        if previous is None:
            return
        if day <= previous:
            raise ValueError("Audit logs must come in ascending timestamp order")
        if day - previous > DAY_MS:
            snapshot = dict(self.totals)
            for gap_day in range(previous + DAY_MS, day, DAY_MS):
                self._add_row(gap_day, snapshot)

    def _close_day(self) -> None:
        row = self.row
        if row is None:
            return
        if self.row_lost_entries:
            closed = {asset_id: text for asset_id, text in row.items() if text is not None}
            self.row_lost_entries = False
        else:
            closed = cast(dict[str, str], row)
        self._add_row(self.current_day, closed)
        self._snapshot_wallets(self.current_day)
        self.row = None

    def _snapshot_wallets(self, day: int) -> None:
        """The wallets that changed on ``day``; on a pass's first day, every wallet, so that
        each wallet's latest snapshot before any later day is complete."""
        wallets = self.wallet_texts if self.first_close else self.touched_wallets
        texts, dumps = self.wallet_texts, orjson.dumps
        self.wallet_days.extend((day, wallet, dumps(texts[wallet]).decode()) for wallet in wallets)
        self.touched_wallets.clear()
        self.first_close = False

    def _add_row(self, day: int, data: dict[str, str]) -> None:
        self.rows.append((day, data))
        self.page_rows += 1
        if len(self.rows) >= self.page_size:
            self._flush_rows()

    def _finish(self, until: int) -> int:
        """Fill forward to ``until``, add the genesis row, write the rest; return the cursor."""
        self.progress(96, "Filling balances to reach today")
        if self.first_day is not None:
            last_day = self.current_day
        elif self.known_day is not None:
            last_day = self.known_day
        else:
            last_day = self.since_day
        cursor = max(last_day, self.since_day)
        final = dict(self.totals)
        for day in range(last_day + DAY_MS, until + 1, DAY_MS):
            self._add_row(day, final)
            cursor = day
        if self.fresh and self.first_day is not None and self.first_day > 0:
            self._add_row(self.first_day - DAY_MS, {})
        self._flush()
        return cursor

    def _flush(self) -> None:
        if self.updates:
            self.sink.write_log_balances(self.updates)
            self.updates = []
        if self.wallet_days:
            self.sink.write_wallet_days(self.wallet_days)
            self.wallet_days = []
        self._flush_rows()

    def _flush_rows(self) -> None:
        if self.rows:
            self.sink.write_day_rows(self.rows)
            self.rows_written += len(self.rows)
            self.rows = []
