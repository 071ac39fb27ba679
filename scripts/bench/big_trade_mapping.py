"""How long the event loop stops while ``getTrades`` maps one trade of 300,000 transactions
(about 55 MB of JSON in fees): prints the longest gap between ticks of a 1 ms timer.

    PYTHONPATH=. .venv/bin/python scripts/bench/big_trade_mapping.py
"""

import asyncio
import time

import orjson

from privatefolio_daemon.api.client_queries import map_rows
from privatefolio_daemon.collector import collect_rarely
from privatefolio_daemon.store.trades import trade_to_wire

FEES = [["chain.ethereum:ETH", "-0.0001", "-0.3", f"0x{n:064x}", n] for n in range(300_000)]
ROW = ("1", 1, "chain.ethereum:ETH", "1", "1", 0, None, None, "open", "Long", "[]")


async def main() -> None:
    row = (*ROW, orjson.dumps(FEES).decode(), "[]", "[]")
    longest = 0.0
    done = False

    async def ticks() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    ticker = asyncio.create_task(ticks())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    records = await map_rows([row], trade_to_wire, None)  # freed after the count (the daemon
    # empties its answers in parts)
    took = time.perf_counter() - started
    done = True
    await ticker
    print(f"{len(records[0]['fees']):,} fees")
    print(
        f"mapped {len(row[11]) / 1e6:.1f} MB in {took * 1000:.0f} ms; "
        f"longest loop gap {longest * 1000:.1f} ms"
    )


collect_rarely()  # as the daemon does
asyncio.run(main())
