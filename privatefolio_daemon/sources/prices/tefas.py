"""TEFAS: daily unit prices of Turkish investment funds, stored in USD.

Which assets are TEFAS funds: those whose platform is ``fund.tefas`` (asset id
``fund.tefas:<FUND CODE>``, e.g. ``fund.tefas:TI2``), or ``fund.tefas-emk`` / ``fund.tefas-byf``
for pension funds and exchange-traded funds. The platform picks the TEFAS ``fontip``. Another
fund priced by TEFAS (``fund:TI2`` of a generic CSV, its ``priceApiId`` ``tefas``) is looked for
among the investment funds, then the pension funds, then the exchange-traded funds.

``POST {base}/api/DB/BindHistoryInfo`` with the form fields ``fontip``, ``fonkod``, ``bastarih``
and ``bittarih`` (dates as ``dd.mm.yyyy``, both inclusive) answers ``{"draw": 0, "recordsTotal":
n, "recordsFiltered": n, "data": [{"TARIH": "<ms>", "FONKODU": "TI2", "FONUNVAN": …, "FIYAT":
1.234567, "TEDPAYSAYISI": …, "KISISAYISI": …, "PORTFOYBUYUKLUK": …, "BORSABULTENFIYAT": …}]}``.
The service limits the span of one request, so ranges are fetched in windows of ``window_days``
(90 by default). ``TARIH`` is the fund's date at midnight; it is assigned to the nearest UTC day
start, which holds whether the server means UTC or Istanbul midnight.

``FIYAT`` is in TRY; each day's price is converted into USD with that day's TRY rate
(``usd_conversion``: the nearest earlier rate on a day without one; no rate at all fails the fund).
The pair stays ``<FUND CODE>-TRY``, what TEFAS was asked for.

TEFAS prices only business days: each other day (a weekend, a holiday, today before the price is
out) carries the USD price of the last one before it (``market_closes``), and so does a day whose
``FIYAT`` is no price (``"NaN"``, 0: ``price_checks``), which is reported.
"""

from datetime import UTC, datetime
from functools import partial
from typing import Any

from privatefolio_daemon.domain.timeutil import DAY_MS, day_start
from privatefolio_daemon.sources.prices.base import (
    ChartData,
    EmptyResponse,
    PricedAsset,
    PriceSeries,
)
from privatefolio_daemon.sources.prices.http_fetch import JsonFetcher
from privatefolio_daemon.sources.prices.market_closes import closes_from, with_last_close
from privatefolio_daemon.sources.prices.price_checks import PriceCheck, SkipReport, log_skipped
from privatefolio_daemon.sources.prices.price_settings import TEFAS_URL
from privatefolio_daemon.sources.prices.usd_conversion import UsdConverter

TEFAS_CURRENCY = "TRY"
TEFAS_FUND_TYPES = {"fund.tefas": "YAT", "fund.tefas-emk": "EMK", "fund.tefas-byf": "BYF"}


def is_tefas_fund(asset: PricedAsset) -> bool:
    return asset.platform in TEFAS_FUND_TYPES


def _fund_types(asset: PricedAsset) -> tuple[str, ...]:
    """The ``fontip`` values to ask, in order: the platform's, else every one."""
    fund_type = TEFAS_FUND_TYPES.get(asset.platform or "")
    return tuple(TEFAS_FUND_TYPES.values()) if fund_type is None else (fund_type,)


def tefas_date(day_ms: int) -> str:
    """``dd.mm.yyyy`` of a UTC day, as TEFAS expects."""
    return datetime.fromtimestamp(day_ms / 1000, tz=UTC).strftime("%d.%m.%Y")


class TefasProvider:
    id = "tefas"
    name = "TEFAS"

    def __init__(
        self,
        fetcher: JsonFetcher,
        *,
        usd: UsdConverter,
        base_url: str = TEFAS_URL,
        priority: int = 5,
        window_days: int = 90,
        on_skipped: SkipReport = log_skipped,
    ) -> None:
        self.fetcher = fetcher
        self.usd = usd
        self.base_url = base_url.rstrip("/")
        self.priority = priority
        self.window_days = window_days
        self._check = PriceCheck(self.name, on_skipped)

    def supports(self, asset: PricedAsset) -> bool:
        return is_tefas_fund(asset)

    async def fetch_daily(self, asset: PricedAsset, since_ms: int, until_ms: int) -> PriceSeries:
        code = asset.ticker.upper()
        in_try = await self._closes(code, asset, since_ms, until_ms)
        points = await self.usd.to_usd(self.name, asset.id, TEFAS_CURRENCY, in_try)
        points = await self.usd.worker.run(closes_from, points, since_ms, until_ms)
        return PriceSeries(pair=f"{code}-{TEFAS_CURRENCY}", points=points)

    async def _closes(
        self, code: str, asset: PricedAsset, since_ms: int, until_ms: int
    ) -> list[ChartData]:
        """The fund's prices in TRY, led by the last close before ``since_ms``, from the first
        of its fund types that has any."""
        for fund_type in _fund_types(asset):
            fetch = partial(self._range, code, fund_type, asset.id)
            closes = await with_last_close(fetch, since_ms, until_ms)
            if closes:
                return closes
        raise EmptyResponse(self.name, asset.id)

    async def _range(
        self, code: str, fund_type: str, asset_id: str, since_ms: int, until_ms: int
    ) -> list[ChartData]:
        """The fund's prices in TRY within ``[since_ms, until_ms]``, a window at a time."""
        by_time: dict[int, ChartData] = {}
        last_day = day_start(until_ms)
        window_start = day_start(since_ms)
        while window_start <= last_day:
            window_end = min(window_start + (self.window_days - 1) * DAY_MS, last_day)
            for point in await self._window(code, fund_type, asset_id, window_start, window_end):
                if since_ms <= point["time"] * 1000 <= until_ms:
                    by_time[point["time"]] = point
            window_start = window_end + DAY_MS
        return [by_time[time] for time in sorted(by_time)]

    async def close(self) -> None:
        await self.fetcher.close()

    async def _window(
        self, code: str, fund_type: str, asset_id: str, first_day: int, last_day: int
    ) -> list[ChartData]:
        form = {
            "fontip": fund_type,
            "sfontur": "",
            "fonkod": code,
            "fongrup": "",
            "bastarih": tefas_date(first_day),
            "bittarih": tefas_date(last_day),
            "fonturkod": "",
            "fonunvantip": "",
        }
        headers = {
            "X-Requested-With": "XMLHttpRequest",
            "Origin": self.base_url,
            "Referer": f"{self.base_url}/TarihselVeriler.aspx",
        }
        url = f"{self.base_url}/api/DB/BindHistoryInfo"
        body = await self.fetcher.post_form(url, asset_id=asset_id, form=form, headers=headers)
        return self._read(body, code, asset_id)

    def _read(self, body: Any, code: str, asset_id: str) -> list[ChartData]:
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise self.fetcher.malformed(asset_id, "no data list")
        points = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise self.fetcher.malformed(asset_id, f"data[{index}] is {row!r}")
            if str(row.get("FONKODU", "")).upper() == code:
                point = self._point(row, index, asset_id)
                if point is not None:
                    points.append(point)
        return points

    def _point(self, row: dict[str, Any], index: int, asset_id: str) -> ChartData | None:
        """The day's price; None (reported) when ``FIYAT`` is no price (``"NaN"``, 0)."""
        try:
            moment_ms = int(row["TARIH"])
            price = float(row["FIYAT"])
        except (KeyError, TypeError, ValueError):
            what = f"data[{index}] has TARIH={row.get('TARIH')!r}, FIYAT={row.get('FIYAT')!r}"
            raise self.fetcher.malformed(asset_id, what) from None
        nearest_day = day_start(moment_ms + DAY_MS // 2)
        checked = self._check.price(asset_id, nearest_day, price)
        return None if checked is None else {"time": nearest_day // 1000, "value": checked}
