"""Binance Convert trades and small balances converted to BNB ("dust"), read after a cursor.

Neither is a trade of a market, so ``fetch_my_trades`` never sees them, yet both change balances:

- Convert: ``GET /sapi/v1/convert/tradeFlow`` (ccxt ``sapi_get_convert_tradeflow``).
  ``startTime`` and ``endTime`` are both required and at most 30 days apart; up to 1000 rows a
  query, ``moreData`` when the window held more. Weight 3000 of the UID limit (ccxt cost 20: with
  ``enableRateLimit`` about one query a second). Only ``SUCCESS`` orders are booked.
- Dust: ``GET /sapi/v1/asset/dribblet`` (ccxt ``sapi_get_asset_dribblet``), at most 90 days a
  query, the last 100 conversions of the window, none before 2020-12-01. IP weight 1.

The implicit methods are used rather than ``fetch_convert_trade_history`` and
``fetch_my_dust_trades``: the first drops ``moreData`` and the order status, the second drops a
conversion's grouping and indexes its list by the answer's ``total``.

Both walk 30-day windows back from ``now`` to the start, each window once; a window that comes
back full is split in halves and each half asked instead. A later sync starts at the cursor. A
first sync (cursor 0) starts at the connection's ``sinceLimit`` option when it has one; else at
the earlier of two years ago and the oldest deposit or withdrawal this sync found, and never
before Binance opened (2017-07-01). Two years bounds the cost (about 25 Convert queries, some
25 s) for accounts funded without a deposit (a card purchase, say); older Convert trades of
such an account need ``sinceLimit``.

A failure that says the key or secret is wrong fails the sync as any other call does. Any other
failure of these endpoints (a key not allowed to read them, Binance refusing them where the
account lives, an outage that outlasted the retries) stops that history's walk and leaves a line
in the task log that says what was not read and how to read it later; the sync goes on without it.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.domain.timeutil import DAY_MS
from privatefolio_daemon.sources.connection_source import SyncError
from privatefolio_daemon.sources.exchanges.client import ExchangeClient
from privatefolio_daemon.sources.exchanges.errors import RejectedKey

WINDOW_MS = 30 * DAY_MS
DEFAULT_LOOKBACK_MS = 730 * DAY_MS
DUST_HISTORY_START_MS = 1_606_780_800_000  # 2020-12-01: the dust log keeps nothing older
CONVERT_PAGE = 1000
DUST_PAGE = 100
SINCE_OPTION = "sinceLimit"

Row = dict[str, Any]
#: ``(client, start, end)`` → the window's rows and whether the window held more than that.
WindowReader = Callable[[ExchangeClient, int, int], Awaitable[tuple[list[Row], bool]]]


@dataclass(slots=True)
class Conversions:
    #: ``convert/tradeFlow`` rows that succeeded, at or after the start, oldest first.
    converts: list[Row] = field(default_factory=list)
    #: ``asset/dribblet`` conversions at or after the start, oldest first.
    dribblets: list[Row] = field(default_factory=list)
    #: Task-log lines about histories that could not be read.
    notes: list[str] = field(default_factory=list)

    def currencies(self) -> set[str]:
        """Every currency these conversions moved."""
        found = {str(row.get(key)) for row in self.converts for key in ("fromAsset", "toAsset")}
        for dribblet in self.dribblets:
            details = dribblet.get("userAssetDribbletDetails") or []
            found |= {"BNB", *(str(detail.get("fromAsset")) for detail in details)}
        return found - {"None", ""}


def conversion_start(
    cursor: int, options: dict[str, Any], oldest_transfer: int | None, now: int, opened: int
) -> int:
    """Where the walk starts: the cursor, or for a first sync the rule of the module docstring."""
    if cursor > 0:
        return cursor
    since_limit = int(options.get(SINCE_OPTION) or 0)
    if since_limit > 0:
        return max(opened, since_limit)
    start = now - DEFAULT_LOOKBACK_MS
    if oldest_transfer is not None:
        start = min(start, oldest_transfer)
    return max(opened, start)


async def fetch_conversions(client: ExchangeClient, start: int, now: int) -> Conversions:
    """Convert trades and dust conversions from ``start`` to ``now`` (ms)."""
    found = Conversions()
    name = client.name
    rows = await _history(client, _convert_window, start, now, found, f"{name} Convert trades")
    found.converts = _unique(
        (row for row in rows if row.get("orderStatus") == "SUCCESS"), "orderId", "createTime", start
    )
    dust_start = max(start, DUST_HISTORY_START_MS)
    rows = await _history(
        client, _dust_window, dust_start, now, found, "small balances converted to BNB"
    )
    found.dribblets = _unique(rows, "transId", "operateTime", start)
    return found


async def _history(
    client: ExchangeClient,
    read: WindowReader,
    start: int,
    end: int,
    found: Conversions,
    what: str,
) -> list[Row]:
    """Every window's rows, newest window first; on a failure other than a rejected key, the
    rows read so far and a note."""
    rows: list[Row] = []
    window_end = end
    try:
        while window_end >= start:
            window_start = max(start, window_end - WINDOW_MS)
            rows.extend(await _window(client, read, window_start, window_end))
            window_end = window_start - 1
    except RejectedKey:
        raise
    except SyncError as error:
        found.notes.append(
            f"Could not read the {what} (so balances they changed may be off): {error} "
            "Later syncs read only what is newer; to read them, save the connection again "
            "with the same API key, which makes the next sync read everything again."
        )
    return rows


async def _window(client: ExchangeClient, read: WindowReader, start: int, end: int) -> list[Row]:
    rows, more = await read(client, start, end)
    if not more or end - start < 2:
        return rows
    middle = start + (end - start) // 2
    return [
        *await _window(client, read, middle + 1, end),
        *await _window(client, read, start, middle),
    ]


async def _convert_window(client: ExchangeClient, start: int, end: int) -> tuple[list[Row], bool]:
    params = {"startTime": start, "endTime": end, "limit": CONVERT_PAGE}
    answer = await client.call("sapi_get_convert_tradeflow", params)
    rows = _rows(answer, "list")
    return rows, bool(answer.get("moreData")) or len(rows) >= CONVERT_PAGE


async def _dust_window(client: ExchangeClient, start: int, end: int) -> tuple[list[Row], bool]:
    answer = await client.call("sapi_get_asset_dribblet", {"startTime": start, "endTime": end})
    rows = _rows(answer, "userAssetDribblets")
    return rows, len(rows) >= DUST_PAGE


def _rows(answer: Any, key: str) -> list[Row]:
    if not isinstance(answer, dict):
        raise SyncError("Binance sent a response that could not be read.")
    rows = answer.get(key) or []
    return [row for row in rows if isinstance(row, dict)]


def _unique(rows: Any, id_key: str, time_key: str, start: int) -> list[Row]:
    """Rows at or after ``start``, one per id, oldest first."""
    kept: dict[str, tuple[int, Row]] = {}
    for row in rows:
        own_id = row.get(id_key)
        try:
            at = int(row.get(time_key))
        except (TypeError, ValueError):
            continue
        if own_id in (None, "") or at < start:
            continue
        kept.setdefault(str(own_id), (at, row))
    return [row for _, row in sorted(kept.values(), key=lambda pair: (pair[0], str(pair[1])))]
