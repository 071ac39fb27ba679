"""Daily prices of an account's assets (data-model §13): the "Fetch asset prices" task and reads.

For each owned or favourite asset (its coingeckoId the stored one, else the asset lookup's, as
``getMyAssets`` shows it), the providers are asked in the registry's order (the stored
``priceApiId`` first and alone); the first that answers is remembered on the asset. A new asset is
fetched from the day it was first owned (providers page through their own limits; one first owned
tomorrow, from today, whose price values tomorrow: ``day_ahead``), a known one
from its latest stored day, or from the first of the days at its end that carry the last close
(``market_closes.first_carried_day``: a close published late replaces each of them), up to
today. A known asset first owned before its prices were ever asked for (older history imported
later, a manual entry dated back) is asked again from that day, once: the earliest day asked is
remembered (``price_requests``). A stored day whose price is none (an older version stored a NaN
as ``{"value": null}``, and kept 0 and 1e308), however old, is asked for again too: the fetch
starts at the asset's first such day, and deletes those of the days asked that it has no price
for, so that they are asked for once. Assets go 10 at a time; a failure of one asset is a
progress line that names the providers and the asset, and never stops the others; so is each
price a provider skipped as no price (``price_checks``), and each candle the fetch does not store
for that reason (a price out of range once converted into USD). The run ends saying how many
assets failed, and fails when none was fetched (``price_fetch_tally``).

Prices written (or deleted) for days the net worth or the trades' PnL were computed on lower their
cursors in the same transaction, and the relayer queues their refreshes (``PRICES_CHANGED``).
"""

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from privatefolio_daemon.domain.asset_catalog import AssetCatalog
from privatefolio_daemon.domain.day_ahead import prices_valuing
from privatefolio_daemon.domain.derived_steps import PRICES_CHANGED, Cancel, Progress, SqlCancel
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.domain.events import EventBus
from privatefolio_daemon.domain.invalidation import PriceInvalidation, invalidate_for_prices
from privatefolio_daemon.domain.price_fetch_tally import FetchTally
from privatefolio_daemon.domain.price_registry import (
    ProviderAnswer,
    ask_in_order,
    build_registry,
    load_exchange_library,
    priced_asset,
)
from privatefolio_daemon.domain.stale_announcements import announce_stale
from privatefolio_daemon.domain.thread_progress import thread_safe
from privatefolio_daemon.domain.timeutil import DAY_MS, day_start, human_date, now_ms
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.prices.base import ChartData, PricedAsset, PriceSeries
from privatefolio_daemon.sources.prices.market_closes import LATE_CLOSE_DAYS, first_carried_day
from privatefolio_daemon.sources.prices.price_checks import point_problem, skipped_line
from privatefolio_daemon.sources.prices.registry import PriceProviderRegistry
from privatefolio_daemon.store import daily_prices as store
from privatefolio_daemon.store.database import Database
from privatefolio_daemon.store.seen_through import seen_through

FIRST_PAGE_DAYS = 900
STABLECOIN_KEY = "USDT"
BOTH_GIVEN = "You can only pass timestamp or start/end, not both"


@dataclass(frozen=True, slots=True)
class _AssetOutcome:
    rows: int
    remembered: bool
    invalidation: PriceInvalidation


@dataclass(frozen=True, slots=True)
class _Answered:
    """A provider's storable series for the days asked, ``since`` to ``until``."""

    provider_id: str
    series: PriceSeries
    since: int
    until: int


@dataclass(frozen=True, slots=True)
class _Run:
    """What the assets of one fetch share."""

    registry: PriceProviderRegistry
    spans: dict[str, store.StoredSpan]
    progress: Progress
    unreachable: set[str]
    saved: list[_AssetOutcome]
    tally: FetchTally

    def failed(self, index: int, ticker: str, reason: str) -> None:
        self.progress(None, f"Could not fetch prices of {ticker}: {reason}")
        self.tally.failed(index, ticker, reason)


class DailyPrices:
    def __init__(
        self,
        account: str,
        db: Database,
        events: EventBus,
        settings_of: Callable[[], PriceFetchSettings],
        catalog: AssetCatalog,
    ) -> None:
        self.account = account
        self._db = db
        self._events = events
        self._settings_of = settings_of
        self._catalog = catalog

    # -- reads -------------------------------------------------------------------------------

    async def for_asset(
        self,
        asset_id: str,
        timestamp: int | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> list[ChartData]:
        if timestamp is not None and (start is not None or end is not None):
            raise InvalidInputError(BOTH_GIVEN)
        day = None if timestamp is None else day_start(timestamp)
        return await self._db.read(
            lambda conn: store.prices_for_asset(conn, asset_id, day, start, end)
        )

    async def price_map(self, timestamp: int | None = None) -> dict[str, ChartData]:
        """``{assetId: ChartData}`` of the day (for tomorrow, today's where it has none, as
        ``day_ahead`` values it); ``"USDT"`` is always there (Privatefolio quirk)."""
        day = day_start(now_ms() if timestamp is None else timestamp)
        stored = await self._db.read(
            lambda conn: prices_valuing(day, partial(store.prices_of_day, conn))
        )
        result: dict[str, ChartData] = {STABLECOIN_KEY: {"time": day // 1000, "value": 1}}
        result.update(stored)
        return result

    async def delete_all(self, progress: Progress, cancel: SqlCancel) -> None:
        """Delete every daily price: all of them or, cancelled before the commit, none."""

        def delete(conn: sqlite3.Connection) -> tuple[int, PriceInvalidation]:
            deleted, days = store.delete_prices(conn)
            invalidation = invalidate_for_prices(conn, min(days, default=None), days)
            cancel.checkpoint()
            return deleted, invalidation

        deleted, invalidation = await seen_through(self._db.transaction(cancel.guard_sql(delete)))
        progress(100, f"Deleted {deleted} daily prices")
        self._events.emit("daily-prices", account=self.account)
        self._announce(invalidation)

    # -- the fetch task ----------------------------------------------------------------------

    async def fetch(self, progress: Progress, cancel: Cancel) -> str | None:
        """Fetch every asset's prices; returns the run's last line when some assets failed, and
        raises ``UpstreamError`` when assets failed and none was fetched (``FetchTally``)."""
        settings = self._settings_of()
        assets = await self._db.read(store.owned_assets)
        # The carried days among the last LATE_CLOSE_DAYS need the day before them too.
        latest = LATE_CLOSE_DAYS + 1
        spans = await self._db.read(lambda conn: store.stored_spans(conn, latest))
        await self._catalog.ensure_loaded()
        batch_size = max(1, settings.assets_per_batch)
        progress(1, f"Fetching asset prices for {len(assets)} assets")
        progress(2, f"Fetching asset prices in batches of {batch_size}")
        await load_exchange_library(settings)
        report = thread_safe(progress)  # Yahoo's series are read on a worker thread
        registry = build_registry(
            settings, on_skipped=lambda line: report(None, line), keep_usd_rates=True
        )
        saved: list[_AssetOutcome] = []
        run = _Run(registry, spans, progress, set(), saved, FetchTally(len(assets)))
        try:
            for first in range(0, len(assets), batch_size):
                cancel.checkpoint()
                batch = assets[first : first + batch_size]
                fetches = [
                    asyncio.ensure_future(self._fetch_asset(run, first + offset, asset))
                    for offset, asset in enumerate(batch)
                ]
                try:
                    await asyncio.gather(*fetches)
                finally:  # a cancelled fetch's save under way ends, and is announced below
                    await asyncio.wait(fetches)
                done = first + len(batch)
                progress(_js_percent(done / len(assets) * 100))
        finally:
            self._announce_saved(saved)  # a cancelled fetch tells of the prices it saved
            await registry.close()
        return run.tally.conclusion()

    def _announce_saved(self, saved: list[_AssetOutcome]) -> None:
        if any(outcome.remembered for outcome in saved):
            self._events.emit("metadata", account=self.account)
        self._announce(*(outcome.invalidation for outcome in saved))

    def _announce(self, *invalidations: PriceInvalidation) -> None:
        """Tell of what price writes made stale; the relayer then queues the refreshes."""
        if announce_stale(self._events, self.account, invalidations):
            self._events.emit(PRICES_CHANGED, account=self.account)

    async def _fetch_asset(self, run: _Run, index: int, asset: store.OwnedAsset) -> None:
        """Fetch and save the prices of the run's asset at ``index``; what was saved is added to
        ``run.saved``, and what became of the asset to ``run.tally``."""
        progress, tally = run.progress, run.tally
        coingecko_id = asset.coingecko_id or self._catalog.coingecko_id(asset.id)
        priced = priced_asset(asset.id, coingecko_id)
        plan = run.registry.plan(priced, asset.price_api_id)
        if plan.skipped:
            progress(None, plan.skipped)
            tally.skipped += 1
            return
        until = day_start(now_ms())
        since = _since(asset, run.spans.get(asset.id), until)
        answer = await ask_in_order(plan.providers, priced, since, until, run.unreachable)
        if isinstance(answer, list):
            run.failed(index, priced.ticker, "; ".join(answer))
            return
        provider, series = answer.provider, _storable(answer, priced, progress)
        if not series.points:
            reason = f"{provider.name}: no price that can be stored (asset {priced.id})"
            run.failed(index, priced.ticker, reason)
            return
        remember = asset.price_api_id != provider.id
        answered = _Answered(provider.id, series, since, until)
        written = await self._save(asset, priced.ticker, answered, remember)
        if written is None:
            progress(None, f"Skipped {priced.ticker}: its price API was changed during the fetch")
            tally.skipped += 1
            return
        rows, invalidation = written
        run.saved.append(_AssetOutcome(rows, remember, invalidation))
        tally.fetched += 1
        first, last = series.points[0]["time"], series.points[-1]["time"]
        progress(
            None,
            f"Fetched {priced.ticker} using {provider.name} from "
            f"{human_date(first * 1000)} to {human_date(last * 1000)}",
        )

    async def _save(
        self, asset: store.OwnedAsset, ticker: str, answered: _Answered, remember: bool
    ) -> tuple[int, PriceInvalidation] | None:
        """Write the series, and delete the rows of the days asked whose price is none and stays
        so (no day is asked again for them); None when the user chose another price API for the
        asset since the fetch began (its prices were deleted, and the fetch that choice queued
        prices it). A price that is none counts as none already: its deletion revalues nothing."""
        asset_id, provider_id, series = asset.id, answered.provider_id, answered.series

        def save(conn: sqlite3.Connection) -> tuple[int, PriceInvalidation] | None:
            if store.price_api_id(conn, asset_id) != asset.price_api_id:
                return None
            written = store.upsert_prices(conn, asset_id, series.pair, provider_id, series.points)
            store.delete_unpriced(conn, asset_id, answered.since, answered.until)
            store.note_asked(conn, asset_id, answered.since)
            if remember:
                store.remember_price_api(conn, asset_id, ticker, provider_id)
            invalidation = invalidate_for_prices(conn, written.changed_from, written.added_days)
            return written.rows, invalidation

        saved = await seen_through(self._db.transaction(save))  # committed: announced
        self._events.emit("daily-prices", account=self.account)
        return saved


def _storable(answer: ProviderAnswer, asset: PricedAsset, progress: Progress) -> PriceSeries:
    """The provider's series without the candles that could not be stored (each one a progress
    line): a provider skips them itself (``price_checks``), but this one may not, or the
    conversion into USD may have taken a price out of range."""
    points = []
    for point in answer.series.points:
        problem = point_problem(point)
        if problem is None:
            points.append(point)
        else:
            day = point["time"] * 1000
            progress(None, skipped_line(answer.provider.name, asset.id, day, problem))
    return PriceSeries(answer.series.pair, points)


def _since(asset: store.OwnedAsset, stored: store.StoredSpan | None, until: int) -> int:
    first_owned = None if asset.first_owned_at is None else day_start(asset.first_owned_at)
    if stored is None:
        return until - FIRST_PAGE_DAYS * DAY_MS if first_owned is None else min(first_owned, until)
    since = _resumed_from(stored, first_owned)
    unpriced = stored.unpriced_from
    return since if unpriced is None else min(since, unpriced)


def _resumed_from(stored: store.StoredSpan, first_owned: int | None) -> int:
    """From the day first owned when no fetch asked from it yet, else from the latest stored
    day, or from the first of the carried days that end the stored prices."""
    asked_from = stored.first if stored.asked_from is None else min(stored.first, stored.asked_from)
    if first_owned is not None and first_owned < asked_from:
        return first_owned
    carried_from = first_carried_day(stored.latest)
    return stored.last if carried_from is None else carried_from


def _js_percent(percent: float) -> float:
    return int(percent) if percent.is_integer() else percent
