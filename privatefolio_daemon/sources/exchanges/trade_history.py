"""Reading an account's trades after a cursor, with each exchange's own paging.

- ``from_id`` (Binance): one market per query. A first sync pages by ``fromId`` from 0. A later
  one walks 24-hour ``startTime``/``endTime`` windows from the cursor (the widest Binance allows)
  until a window holds a trade, then pages by ``fromId`` from that trade. When the cursor is more
  than ``WINDOW_WALK_LIMIT_MS`` old, scanning by ``fromId`` from 0 costs fewer requests than the
  walk (one per 1000 trades rather than one per day), so it does that and filters.
- ``offset`` (Kraken): all markets at once, newest first, ``ofs`` steps of one page, after the
  whole second before the cursor (``start`` is exclusive).
- ``cursor`` (Coinbase): all markets at once from the cursor time, newest first; each page names
  the next one with an opaque ``cursor`` (ccxt hands it on in the raw fill it parsed first).
- ``since``: ``since`` moves to the newest trade seen + 1 ms until a page comes back short.

Every trade older than the cursor is dropped, and trades are de-duplicated by market and id.
"""

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.exchanges.client import ExchangeClient

WINDOW_WALK_LIMIT_MS = 7 * DAY_MS
Trade = dict[str, Any]
OnMarketDone = Callable[[], Awaitable[None]]


async def fetch_trades(
    client: ExchangeClient,
    symbols: list[str],
    since: int,
    now: int,
    on_market_done: OnMarketDone | None = None,
) -> list[Trade]:
    """Trades at or after ``since`` (ms): of ``symbols`` when the exchange needs one, else all."""
    profile = client.profile
    if not profile.trades_need_symbol:
        pages = _ALL_MARKET_PAGING.get(profile.trade_paging, _since_pages)
        return await asyncio.to_thread(_newer, await pages(client, None, since, now), since)
    reader = _from_id_trades if profile.trade_paging == "from_id" else _since_pages

    async def one_market(symbol: str) -> list[Trade]:
        trades = await reader(client, symbol, since, now)
        if on_market_done is not None:
            await on_market_done()
        return trades

    results = await _gather(one_market(symbol) for symbol in symbols)
    return await asyncio.to_thread(_newer, itertools.chain.from_iterable(results), since)


async def _gather(jobs: Iterable[Awaitable[list[Trade]]]) -> list[list[Trade]]:
    """Run the jobs at once (the client bounds requests); the first failure cancels the rest."""
    tasks: list[asyncio.Task[list[Trade]]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                tasks.append(group.create_task(_awaited(job)))
    except* SyncError as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(job: Awaitable[list[Trade]]) -> list[Trade]:
    return await job


def _newer(trades: Iterable[Trade], since: int) -> list[Trade]:
    """``trades`` at or after ``since``, each once, oldest first (100,000 take 0.2 s: call it
    on a thread)."""
    seen: set[tuple[str, str]] = set()
    kept: list[Trade] = []
    for trade in trades:
        key = (str(trade.get("symbol")), str(trade.get("id")))
        if key in seen or int(trade.get("timestamp") or 0) < since:
            continue
        seen.add(key)
        kept.append(trade)
    kept.sort(key=lambda t: (int(t["timestamp"]), str(t.get("symbol")), str(t.get("id"))))
    return kept


async def _from_id_trades(client: ExchangeClient, symbol: str, since: int, now: int) -> list[Trade]:
    start_id = 0
    if since > 0 and now - since <= WINDOW_WALK_LIMIT_MS:
        first_id = await _first_trade_id_after(client, symbol, since, now)
        if first_id is None:
            return []
        start_id = first_id
    return await _from_id_pages(client, symbol, start_id)


async def _first_trade_id_after(
    client: ExchangeClient, symbol: str, since: int, now: int
) -> int | None:
    window_start = since
    while window_start <= now:
        window = await client.call(
            "fetch_my_trades",
            symbol,
            window_start,
            client.profile.trades_per_page,
            {"until": window_start + DAY_MS},
        )
        if window:
            return min(int(trade["id"]) for trade in window)
        window_start += DAY_MS + 1
    return None


async def _from_id_pages(client: ExchangeClient, symbol: str, start_id: int) -> list[Trade]:
    limit = client.profile.trades_per_page
    trades: list[Trade] = []
    while True:
        page = await client.call("fetch_my_trades", symbol, None, limit, {"fromId": start_id})
        trades.extend(page)
        if len(page) < limit:
            return trades
        start_id = max(int(trade["id"]) for trade in page) + 1


async def _offset_pages(
    client: ExchangeClient, symbol: str | None, since: int, _now: int
) -> list[Trade]:
    limit = client.profile.trades_per_page
    start = _exclusive_start(since)
    trades: list[Trade] = []
    offset = 0
    while True:
        page = await client.call("fetch_my_trades", symbol, start, None, {"ofs": offset})
        trades.extend(page)
        if len(page) < limit:
            return trades
        offset += len(page)


def _exclusive_start(since: int) -> int | None:
    """Kraken's ``start``: whole seconds (ccxt drops the ms), and exclusive. So the latest whole
    second before ``since``; the trades it brings from before ``since`` are dropped."""
    return (since - 1) // 1000 * 1000 if since > 0 else None


async def _since_pages(
    client: ExchangeClient, symbol: str | None, since: int, _now: int
) -> list[Trade]:
    limit = client.profile.trades_per_page
    trades: list[Trade] = []
    cursor = since
    while True:
        page = await client.call("fetch_my_trades", symbol, cursor, limit)
        trades.extend(page)
        newest = max((int(trade.get("timestamp") or 0) for trade in page), default=cursor)
        if len(page) < limit or newest + 1 <= cursor:
            return trades
        cursor = newest + 1


async def _cursor_pages(
    client: ExchangeClient, symbol: str | None, since: int, _now: int
) -> list[Trade]:
    limit = client.profile.trades_per_page
    start = since if since > 0 else None
    trades: list[Trade] = []
    params: dict[str, str] = {}
    while True:
        page = await client.call("fetch_my_trades", symbol, start, limit, params)
        trades.extend(page)
        cursor = next((str(t["info"]["cursor"]) for t in page if _cursor_of(t)), None)
        if cursor is None or cursor == params.get("cursor"):
            return trades
        params = {"cursor": cursor}


def _cursor_of(trade: Trade) -> bool:
    info = trade.get("info")
    return isinstance(info, dict) and bool(info.get("cursor"))


Pages = Callable[[ExchangeClient, str | None, int, int], Awaitable[list[Trade]]]
_ALL_MARKET_PAGING: dict[str, Pages] = {"offset": _offset_pages, "cursor": _cursor_pages}
