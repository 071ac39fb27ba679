"""An exchange account as a connection: balances, trades, deposits and withdrawals through ccxt,
and on Binance its Convert trades and small balances converted to BNB (``conversions``).

One class serves every ccxt exchange; ``ExchangeAccountSource("binance")`` has extension id
``binance-connection`` and platform id ``ex.binance``. Each sync opens its own ccxt session and
closes it before returning (also on errors and cancellation), so ``close()`` has nothing to do.

The cursor is a time in ms: the newest record seen + 1, held back to the oldest pending transfer.
"""

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

from privatefolio_daemon.domain import decimals
from privatefolio_daemon.domain.records import AuditLog, Transaction
from privatefolio_daemon.domain.timeutil import now_ms
from privatefolio_daemon.sources.connection_source import (
    ConnectionSpec,
    Progress,
    SyncError,
    SyncResult,
)
from privatefolio_daemon.sources.exchanges.amounts import amount
from privatefolio_daemon.sources.exchanges.client import (
    DEFAULT_RETRY_DELAYS,
    MAX_RETRY_AFTER_SECONDS,
    Configure,
    ExchangeClient,
)
from privatefolio_daemon.sources.exchanges.conversions import (
    Conversions,
    conversion_start,
    fetch_conversions,
)
from privatefolio_daemon.sources.exchanges.market_choice import (
    SYMBOLS_OPTION,
    markets_to_scan,
    named_markets,
    traded_currencies,
)
from privatefolio_daemon.sources.exchanges.profiles import (
    PASSPHRASE_OPTION,
    extension_id,
    platform_id,
    profile_for,
)
from privatefolio_daemon.sources.exchanges.records import (
    AccountVenue,
    Records,
    convert_records,
    dust_records,
    trade_records,
    transfer_records,
)
from privatefolio_daemon.sources.exchanges.trade_history import fetch_trades
from privatefolio_daemon.sources.exchanges.transfer_history import Transfers, fetch_transfers

_LOG = logging.getLogger(__name__)


class ExchangeAccountSource:
    """A ``ConnectionSource`` for accounts on the ccxt exchange ``exchange_id``."""

    def __init__(
        self,
        exchange_id: str,
        *,
        configure: Configure | None = None,
        timeout_ms: int = 10_000,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.exchange_id = exchange_id
        self.extension_id = extension_id(exchange_id)
        self.platform_id = platform_id(exchange_id)
        self.profile = profile_for(exchange_id)
        self._configure = configure
        self._timeout_ms = timeout_ms
        self._retry_delays = retry_delays
        self._max_retry_after = max_retry_after
        self._clock = clock

    def client(self, spec: ConnectionSpec, password: str | None = None) -> ExchangeClient:
        """A session for ``spec``'s key (for the key check too); use it with ``async with``.
        The passphrase, when not given, is the spec's (``options["apiPassphrase"]``)."""
        name = self.profile.display_name
        password = password or spec.options.get(PASSPHRASE_OPTION) or None
        if not spec.api_key or not spec.api_secret:
            raise SyncError(f"The {name} connection needs an API key and secret.")
        if self.profile.needs_password and not password:
            raise SyncError(f"The {name} connection needs the API key's passphrase.")
        return ExchangeClient(
            self.exchange_id,
            api_key=spec.api_key,
            api_secret=spec.api_secret,
            password=password,
            configure=self._configure,
            timeout_ms=self._timeout_ms,
            retry_delays=self._retry_delays,
            max_retry_after=self._max_retry_after,
        )

    async def sync(self, spec: ConnectionSpec, cursor: int, progress: Progress) -> SyncResult:
        report = _Reporter(progress)
        venue = AccountVenue(spec.id, self.platform_id, f"{self.profile.display_name} Spot")
        now = self._clock()
        async with self.client(spec) as client:
            name = client.name
            await report(5, f"Loaded {len(client.markets)} {name} markets")
            balance = await client.call("fetch_balance")
            totals = _non_zero_totals(balance.get("total") or {})
            await report(10, f"Found {len(totals)} assets with a balance")
            first_day = max(self.profile.history_start_ms, int(spec.options.get("sinceLimit") or 0))
            transfers = await fetch_transfers(client, cursor, first_day, now)
            await report(
                30,
                f"Fetched {_count(transfers.completed, 'deposit')} deposits and "
                f"{_count(transfers.completed, 'withdrawal')} withdrawals",
            )
            conversions = Conversions()
            if self.profile.conversions:
                conversions = await self._conversions(client, spec, cursor, transfers, now, report)
            if self.profile.trades_need_symbol:
                in_play = self._in_play(totals, transfers, spec.options)
                in_play |= conversions.currencies()
                trades = await _trades_market_by_market(
                    client, in_play, spec.options, cursor, now, report
                )
            else:
                trades = await fetch_trades(client, [], cursor, now)
            markets = client.markets
        # Mapping 100,000 trades takes seconds: on a thread, the daemon answers meanwhile.
        logs, transactions, next_cursor = await asyncio.to_thread(
            _booked, cursor, trades, transfers, conversions, markets, venue
        )
        await report(100, f"Fetched {len(trades)} trades: {len(logs)} audit logs")
        _LOG.info(
            "%s connection %s synced from %d to %d: %d trades, %d transfers, %d pending",
            name,
            spec.id,
            cursor,
            next_cursor,
            len(trades),
            len(transfers.completed),
            len(transfers.pending),
        )
        return SyncResult(
            logs=logs,
            transactions=transactions,
            cursor=next_cursor,
            balances={venue.asset_id(code): total for code, total in totals.items()},
        )

    async def close(self) -> None:
        """Nothing to release: each sync closes its own session."""

    async def _conversions(
        self,
        client: ExchangeClient,
        spec: ConnectionSpec,
        cursor: int,
        transfers: Transfers,
        now: int,
        report: "_Reporter",
    ) -> Conversions:
        moved = [int(t.get("timestamp") or 0) for t in transfers.completed + transfers.pending]
        oldest = min((at for at in moved if at > 0), default=None)
        opened = self.profile.history_start_ms
        start = conversion_start(cursor, spec.options, oldest, now, opened)
        conversions = await fetch_conversions(client, start, now)
        for note in conversions.notes:
            await report(None, note)
        await report(
            None,
            f"Fetched {len(conversions.converts)} Convert trades and "
            f"{len(conversions.dribblets)} conversions of small balances to BNB",
        )
        return conversions

    def _in_play(
        self, totals: dict[str, str], transfers: Transfers, options: dict[str, Any]
    ) -> set[str]:
        """The currencies held now, moved in or out, or recorded by earlier syncs of the
        connection (``knownAssetIds``, the asset ids of its audit logs)."""
        moved = {str(t.get("currency")) for t in transfers.completed + transfers.pending}
        prefix = f"{self.platform_id}:"
        known = {
            str(asset_id).removeprefix(prefix)
            for asset_id in options.get("knownAssetIds") or ()
            if str(asset_id).startswith(prefix)
        }
        return {*totals, *moved, *known}


async def _trades_market_by_market(
    client: ExchangeClient,
    in_play: set[str],
    options: dict[str, Any],
    cursor: int,
    now: int,
    report: "_Reporter",
) -> list[dict[str, Any]]:
    """Trades of the markets of the currencies in play and of the ``symbols`` option, then of
    the markets of the currencies those trades moved, until no new market comes up. The task log
    names the markets read and the way to add others."""
    name, markets = client.name, client.markets
    named, unknown = named_markets(markets, options.get(SYMBOLS_OPTION))
    if unknown:
        await report(
            None,
            f"Not {name} markets, so not read: {', '.join(unknown)} "
            f'(from the connection\'s "{SYMBOLS_OPTION}" option)',
        )
    step = report.stepper(30, 95, 0, "markets")
    scanned: set[str] = set()
    trades: list[dict[str, Any]] = []
    to_scan = markets_to_scan(markets, in_play, named)
    while to_scan:
        step.add(len(to_scan))
        found = await fetch_trades(client, to_scan, cursor, now, step)
        trades.extend(found)
        scanned.update(to_scan)
        in_play |= await asyncio.to_thread(traded_currencies, found, markets)
        to_scan = [s for s in markets_to_scan(markets, in_play) if s not in scanned]
    await report(None, _scanned_message(name, sorted(scanned)))
    return trades


def _scanned_message(name: str, scanned: list[str]) -> str:
    listed = ", ".join(scanned) if scanned else "none"
    return (
        f"Read the trades of {len(scanned)} {name} markets: {listed}. {name} answers trades "
        "one market at a time, so only the markets of the currencies this account holds, "
        "moved in or out or traded before are read. To read another market (of a currency "
        "bought and sold away that was never deposited or withdrawn), add it to the "
        f'connection\'s "{SYMBOLS_OPTION}" option, e.g. ["SOL/USDT"].'
    )


class _Reporter:
    """``progress`` that may or may not be a coroutine function."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    async def __call__(self, percent: float | None, message: str | None) -> None:
        result = self._progress(percent, message)
        if inspect.isawaitable(result):
            await result

    def stepper(self, start: float, end: float, steps: int, noun: str) -> "_Stepper":
        return _Stepper(self, start, end, steps, noun)


class _Stepper:
    """``await step()`` after each of ``steps`` steps; ``add(n)`` when more steps come up."""

    def __init__(self, report: _Reporter, start: float, end: float, steps: int, noun: str):
        self._report = report
        self._start, self._end = start, end
        self._steps, self._done, self._noun = steps, 0, noun
        self._percent = start

    def add(self, steps: int) -> None:
        self._steps += steps

    async def __call__(self) -> None:
        self._done += 1
        share = self._done / max(self._steps, 1)
        self._percent = max(self._percent, self._start + (self._end - self._start) * share)
        message = f"Fetched trades of {self._done}/{self._steps} {self._noun}"
        await self._report(round(self._percent, 1), message)


def _count(transfers: Iterable[dict[str, Any]], kind: str) -> int:
    return sum(1 for transfer in transfers if transfer.get("type") == kind)


def _non_zero_totals(totals: dict[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for code, total in sorted(totals.items()):
        value = amount(total)
        if value is not None and not value.is_zero():
            result[code] = decimals.to_fixed(value)
    return result


def _booked(
    cursor: int,
    trades: list[dict[str, Any]],
    transfers: Transfers,
    conversions: Conversions,
    markets: dict[str, Any],
    venue: AccountVenue,
) -> tuple[list[AuditLog], list[Transaction], int]:
    """The audit logs and transactions of what a sync read, and the next cursor."""
    logs, transactions = _records(trades, transfers, conversions, markets, venue)
    return logs, transactions, _next_cursor(cursor, logs, transfers)


def _records(
    trades: list[dict[str, Any]],
    transfers: Transfers,
    conversions: Conversions,
    markets: dict[str, Any],
    venue: AccountVenue,
) -> tuple[list[AuditLog], list[Transaction]]:
    mapped_all: list[Records | None] = [transfer_records(t, venue) for t in transfers.completed]
    mapped_all += [convert_records(row, venue) for row in conversions.converts]
    mapped_all += [swap for entry in conversions.dribblets for swap in dust_records(entry, venue)]
    logs: list[AuditLog] = []
    transactions: list[Transaction] = []
    for mapped in mapped_all:
        if mapped is not None:
            logs.extend(mapped[0])
            transactions.append(mapped[1])
    for trade in trades:
        market = markets.get(str(trade.get("symbol")))
        if market is None:
            _LOG.warning(
                "Skipped trade %s of unknown market %s", trade.get("id"), trade.get("symbol")
            )
            continue
        mapped = trade_records(trade, market, venue)
        if mapped is not None:
            logs.extend(mapped[0])
            transactions.append(mapped[1])
    logs.sort(key=lambda log: (log.timestamp, log.id))
    transactions.sort(key=lambda transaction: (transaction.timestamp, transaction.id))
    return logs, transactions


def _next_cursor(cursor: int, logs: list[AuditLog], transfers: Transfers) -> int:
    newest = max((log.timestamp for log in logs), default=None)
    next_cursor = cursor if newest is None else max(cursor, newest + 1)
    pending = [int(t.get("timestamp") or 0) for t in transfers.pending]
    if pending:
        next_cursor = max(cursor, min(next_cursor, min(pending)))
    return next_cursor
