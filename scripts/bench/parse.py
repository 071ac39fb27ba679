"""CSV-parse benchmark: a synthetic Binance account statement through the streaming importer.

``synthetic_binance_statement(rows, seed)`` is importable (the import benchmark reuses it). The
statement spans three years for 20 coins: about a third of the rows are swaps (Buy, Sell and Fee
at the same second, sometimes with a second fill of the same asset), the rest are deposits,
withdrawals and distributions; a few changes use exponent notation (``6.0E-7``). Only the parse
is timed: a child process writes the statement to a temporary file, then another streams it
through the importer as the daemon does (binary chunks → UTF-8 → record batches) and reports
the best of a few runs and its own peak RSS.

Usage: .venv/bin/python scripts/bench/parse.py [--rows 100000 1000000] [--repeat 3]
Target: <= 0.5 s per 100k rows, <= 5 s per 1M rows.
"""

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.sources.importers.base import ParserContext
from privatefolio_daemon.sources.importers.file_text import decode_utf8
from privatefolio_daemon.sources.importers.parse_file import Batch, StreamingImport
from scripts.bench.machine_speed import machine_line

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
COINS = (
    "BTC", "ETH", "BNB", "USDT", "XRP", "ADA", "SOL", "DOT", "DOGE", "LTC",
    "LINK", "XLM", "IOTA", "TRX", "ETC", "ATOM", "XMR", "EOS", "NEO", "ETF",
)  # fmt: skip
START_SECONDS = 1_577_836_800  # 2020-01-01 00:00:00 UTC
SPAN_SECONDS = 3 * 365 * 86_400
CHUNK_BYTES = 1 << 20


def _utc_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def _change(rng: random.Random, sign: str, high: float = 5000) -> str:
    """A Binance change text: 8 decimals, often round, exponent notation now and then."""
    shape = rng.random()
    if shape < 0.02:
        return f"{sign}{rng.randint(1, 9)}.{rng.randint(0, 9)}E-{rng.randint(5, 8)}"
    digits = 2 if shape < 0.3 else 8
    return f"{sign}{round(rng.uniform(0.0001, high), digits):.8f}"


def _single(rng: random.Random) -> tuple[str, str, str, str]:
    """(operation, coin, change, remark) of a row outside swaps."""
    kind = rng.random()
    coin = rng.choice(COINS)
    if kind < 0.45:
        return "Deposit", coin, _change(rng, ""), ""
    if kind < 0.8:
        return "Withdraw", coin, _change(rng, "-"), ""
    return "Distribution", coin, _change(rng, ""), f"{coin} distribution"


def _swap(rng: random.Random) -> list[tuple[str, str, str, str]]:
    bought, sold = rng.sample(COINS, 2)
    rows = [
        ("Buy", bought, _change(rng, ""), ""),
        ("Sell", sold, _change(rng, "-"), ""),
        ("Fee", bought, _change(rng, "-", high=1), ""),
    ]
    if rng.random() < 0.1:
        rows.append(("Buy", bought, _change(rng, ""), ""))  # a second fill, merged later
    return rows


def synthetic_binance_statement(rows: int, seed: int = 1) -> str:
    """A time-sorted Binance statement with ``rows`` data rows (header not counted)."""
    rng = random.Random(seed)
    step = max(1, SPAN_SECONDS * 4 // (3 * max(rows, 1)))  # about 1.3 rows per timestamp
    seconds = START_SECONDS
    lines = [HEADER]
    while len(lines) <= rows:
        seconds += rng.randint(1, 2 * step)
        group = _swap(rng) if rng.random() < 0.14 else [_single(rng)]
        when = _utc_text(seconds)
        for operation, coin, change, remark in group[: rows + 1 - len(lines)]:
            lines.append(f'"37000001","{when}","Spot","{operation}","{coin}","{change}","{remark}"')
    return "\n".join(lines)


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def timed_parse(path: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds to stream-parse the file at ``path``, and the record counts."""
    parse = StreamingImport(
        lambda: decode_utf8(_read_chunks(path)), file_import_id="1", context=ParserContext()
    )
    logs = transactions = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for item in parse:
        if isinstance(item, Batch):
            logs += len(item.logs)
            transactions += len(item.transactions)
    return time.perf_counter() - started, time.process_time() - cpu_started, logs, transactions


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path, rows: int, repeat: int) -> None:
    """Best of ``repeat`` parses of one file, in this (fresh) process."""
    elapsed, cpu, logs, transactions = min(timed_parse(path) for _ in range(repeat))
    print(
        f"{rows:>9} rows: {elapsed:6.2f} s (CPU {cpu:.2f} s), {rows / elapsed:>9,.0f} rows/s, "
        f"peak RSS {peak_rss_mb():.0f} MB ({logs} logs, {transactions} transactions)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="report the best of this many")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write is not None:
        args.write.write_text(synthetic_binance_statement(args.rows[0], args.seed), "utf-8")
    elif args.measure is not None:
        measure(args.measure, args.rows[0], args.repeat)
    else:
        print(machine_line(), flush=True)
        run_each_in_fresh_processes(args.rows, args.seed, args.repeat)


def run_each_in_fresh_processes(sizes: list[int], seed: int, repeat: int) -> None:
    """Write and measure each statement in its own process: a child inherits its parent's peak
    RSS, so this process never holds a statement."""
    with tempfile.TemporaryDirectory() as directory:
        for rows in sizes:
            path = str(Path(directory) / f"statement-{rows}.csv")
            command = [sys.executable, __file__, "--rows", str(rows)]
            subprocess.run([*command, "--write", path, "--seed", str(seed)], check=True)
            subprocess.run([*command, "--measure", path, "--repeat", str(repeat)], check=True)


if __name__ == "__main__":
    main()
