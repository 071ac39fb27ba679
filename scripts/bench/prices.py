"""Price-fetch benchmark: ping latency while "Fetch asset prices" fetches long histories.

An account owns ``--stocks`` stocks (60) since ``--years`` years ago (21), every third one quoted
in EUR; a Yahoo stand-in in its own process, at a lower priority, has a daily candle for each of
them on every weekday since then, and ``EURUSD=X``. A daemon in this process (crons off,
providers at the stand-in, ``--requests-per-second`` per host) runs "Fetch asset prices" once,
while another process calls ``ping`` every 20 ms over WebSocket RPC.

Printed: the pings sent while the task ran (p50, p99, max), the task's time and status, the rows
stored, and the stand-in's requests, those for ``EURUSD=X`` apart (each window of up to 10 years
is one request).

Usage: .venv/bin/python scripts/bench/prices.py [--stocks 60] [--years 21]
                                                [--requests-per-second 1000]
Target: ping p99 <= 50 ms during the fetch (as scripts/bench/loop.py's).
"""

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.config import load_config
from privatefolio_daemon.settings import PriceFetchSettings
from privatefolio_daemon.sources.prices.price_settings import PriceSettings
from scripts.bench.bench_daemon import percentile
from scripts.bench.machine_speed import machine_line
from tests.standins.background_server import serve_in_thread
from tests.standins.price_apis import YahooCandle, YahooChartStandin

PING_PAUSE_S = 0.02
FX_SYMBOL = "EURUSD=X"
FINAL = ("completed", "failed", "aborted", "cancelled")
SPAWN = multiprocessing.get_context("spawn")


def weekdays(years: int) -> list[date]:
    today = datetime.now(UTC).date()
    day, days = today - timedelta(days=365 * years), []
    while day <= today:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def start_s(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def yahoo_standin(stocks: int, years: int) -> YahooChartStandin:
    """``S00``, ``S01``, …: a rising close every weekday; every third stock in EUR (Frankfurt)."""
    standin, days = YahooChartStandin(), weekdays(years)
    for number in range(stocks):
        in_eur = number % 3 == 0
        session_open, gmtoffset = (8 * 3600, 3600) if in_eur else (14 * 3600 + 1800, -18000)
        closes = [round(10 + number + i * 0.01, 2) for i in range(len(days))]
        candles = [
            YahooCandle(start_s(day) + session_open, c - 0.05, c + 0.1, c - 0.1, c, 100 + i)
            for i, (day, c) in enumerate(zip(days, closes, strict=True))
        ]
        currency = "EUR" if in_eur else "USD"
        standin.add_candles(f"S{number:02d}", candles, gmtoffset=gmtoffset, currency=currency)
    rates = [YahooCandle(start_s(day), *[1.1 + i * 1e-5] * 4, 0) for i, day in enumerate(days)]
    standin.add_candles(FX_SYMBOL, rates, gmtoffset=0, timezone="Europe/London")
    return standin


def serve_yahoo(stocks: int, years: int, pipe: Connection) -> None:
    """In its own process, at a lower priority (it stands for a remote server, whose CPU is not
    the daemon's): serve the stand-in, send its URL, and its requests when asked."""
    os.nice(10)
    standin = yahoo_standin(stocks, years)
    with serve_in_thread(standin.app()) as url:
        pipe.send(url)
        pipe.recv()
        pipe.send([request.path.rsplit("/", 1)[-1] for request in standin.requests])


@contextmanager
def yahoo_process(stocks: int, years: int) -> Iterator[tuple[str, Connection]]:
    ours, theirs = SPAWN.Pipe()
    process = SPAWN.Process(target=serve_yahoo, args=(stocks, years, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(120):
            raise RuntimeError("the Yahoo stand-in did not start within 120 s")
        yield ours.recv(), ours
    finally:
        process.terminate()
        process.join(10)


def ping_until(url: str, token: str, stop: Event, pipe: Connection) -> None:
    """In its own process: ``ping`` until ``stop``; send ``(monotonic start, seconds)`` of each."""

    async def pings() -> list[tuple[float, float]]:
        pinger = await DaemonClient.connect(url, token=token)
        samples: list[tuple[float, float]] = []
        try:
            while not stop.is_set():
                began = time.monotonic()
                await pinger.call("ping")
                samples.append((began, time.monotonic() - began))
                await asyncio.sleep(PING_PAUSE_S)
        finally:
            await pinger.close()
        return samples

    pipe.send(asyncio.run(pings()))


async def own_stocks(daemon: Daemon, stocks: int, years: int) -> None:
    first = start_s(weekdays(years)[0]) * 1000 + 3_600_000
    rows = [
        (f"log{n}", f"stock:S{n:02d}", "1", n, "Deposit", "stock", first, "Broker")
        for n in range(stocks)
    ]
    await daemon.accounts.get("bench").execute_many(
        "INSERT INTO audit_logs (id, assetId, change, importIndex, operation, platformId, "
        "timestamp, wallet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def timed_fetch(client: DaemonClient) -> tuple[dict[str, Any], float, float]:
    """Run "Fetch asset prices"; the task, and the monotonic times it began and ended."""
    task_id = await client.call("enqueueFetchPrices", "bench", "user")
    began = time.monotonic()
    while True:
        task: dict[str, Any] = await client.call("getServerTask", "bench", task_id)
        if task["status"] in FINAL:
            return task, began, time.monotonic()
        await asyncio.sleep(0.05)


async def run(options: argparse.Namespace, yahoo_url: str) -> tuple[list[float], str]:
    with tempfile.TemporaryDirectory() as data_dir:
        config = load_config(environ={}, data_dir=data_dir, port=0, crons=False)
        daemon = Daemon(config)
        await daemon.start()
        token = daemon.credentials.desktop_token()
        url = f"ws://127.0.0.1:{daemon.port}/"
        client = await DaemonClient.connect(url, token=token)
        stop, (ours, theirs) = SPAWN.Event(), SPAWN.Pipe()
        pinger = SPAWN.Process(target=ping_until, args=(url, token, stop, theirs))
        try:
            daemon.price_settings = PriceFetchSettings(
                providers=PriceSettings(
                    yahoo_url=yahoo_url,
                    requests_per_second_per_host=options.requests_per_second,
                    ccxt_exchanges=(),
                )
            )
            await client.call("createAccount", "bench")
            await own_stocks(daemon, options.stocks, options.years)
            pinger.start()
            await asyncio.sleep(1)  # the pinger connected
            task, began, ended = await timed_fetch(client)
            stop.set()
            samples = await asyncio.to_thread(ours.recv)
            rows = await daemon.accounts.get("bench").fetch_all("SELECT COUNT(*) FROM daily_prices")
        finally:
            stop.set()
            await asyncio.to_thread(pinger.join, 30)
            await client.close()
            await daemon.stop()
    during = [seconds for start, seconds in samples if began <= start <= ended]
    summary = f"task {task['status']} in {ended - began:.1f} s, {rows[0][0]:,} daily prices stored"
    return during, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=60)
    parser.add_argument("--years", type=int, default=21)
    parser.add_argument("--requests-per-second", type=float, default=1000.0)
    options = parser.parse_args()
    print(machine_line(), flush=True)
    with yahoo_process(options.stocks, options.years) as (yahoo_url, requests_pipe):
        during, summary = asyncio.run(run(options, yahoo_url))
        requests_pipe.send("requests")
        symbols = Counter(requests_pipe.recv())
    fx = symbols.pop(FX_SYMBOL, 0)
    print(f"{options.stocks} stocks × {options.years} years, a third in EUR: {summary}")
    print(f"stand-in requests: {sum(symbols.values())} for the stocks, {fx} for {FX_SYMBOL}")
    p50, p99 = percentile(during, 0.5) * 1000, percentile(during, 0.99) * 1000
    verdict = "PASS" if p99 <= 50 else "FAIL"
    print(
        f"ping during the fetch: {len(during)} calls, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(during) * 1000:.2f} ms (target p99 <= 50 ms) {verdict}"
    )


if __name__ == "__main__":
    main()
