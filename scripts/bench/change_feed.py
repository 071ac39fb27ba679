"""Sync benchmark: events in, the change feed out, through a real daemon over WebSocket RPC.

A device that was offline sends its queue: N events (manual transactions added, then patched)
in calls of 1,000. Once the refresh chain those edits started is done, it sends the same events
again, as a device unsure of what went through does; every one comes back as a duplicate. A
second device then replays the whole feed through ``subscribeToChanges`` (the latest change of
each record), and the time from one more event's submit to its delivery is measured. It also
prints the size of the kept results, which the daemon keeps for every event it applied.

Usage: .venv/bin/python scripts/bench/change_feed.py [--events 10000]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.client import DaemonClient
from scripts.bench.bench_daemon import daemon_process, percentile
from scripts.bench.machine_speed import machine_line

BATCH = 1000
T0 = 1_700_000_000_000


def events(count: int) -> list[dict[str, Any]]:
    """Half ``transaction.add``, half ``transaction.patch`` of the transactions added."""
    adds = count // 2
    made: list[dict[str, Any]] = [
        {
            "eventId": f"add-{i}",
            "type": "transaction.add",
            "data": {
                "type": "Buy",
                "timestamp": T0 + i * 60_000,
                "wallet": "Broker",
                "platformId": "app.generic",
                "incoming": f"{i % 97 + 1}.5",
                "incomingAsset": "stock:AAPL",
                "outgoing": f"{(i % 97 + 1) * 190}",
                "outgoingAsset": "fiat:USD",
            },
        }
        for i in range(adds)
    ]
    made += [
        {
            "eventId": f"patch-{i}",
            "type": "transaction.patch",
            "recordId": f"MANUAL_{i + 1}",
            "version": i + 1,
            "data": {"notes": f"note {i}"},
        }
        for i in range(count - adds)
    ]
    return made


async def submit_all(client: DaemonClient, batch: list[dict[str, Any]]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    statuses: list[str] = []
    for start in range(0, len(batch), BATCH):
        results = await client.call("submitEvents", "main", batch[start : start + BATCH])
        statuses += ["duplicate" if r.get("duplicate") else r["status"] for r in results]
    return time.perf_counter() - started, statuses


async def settle(client: DaemonClient) -> float:
    """Wait for the refresh chain the new audit logs started; returns the seconds waited."""
    started = time.perf_counter()
    busy = "SELECT COUNT(*) FROM server_tasks WHERE status IN ('queued', 'running')"
    await asyncio.sleep(2)  # the side effects are debounced (1.5 s)
    while True:
        if not await client.call("countServerTasks", "main", busy):
            return time.perf_counter() - started
        await asyncio.sleep(0.1)


async def replay(url: str, token: str) -> tuple[int, float, list[float]]:
    """The changes replayed and the seconds it took, then the submit → delivery latencies of
    50 more events."""
    async with (
        await DaemonClient.connect(url, token=token) as reader,
        await DaemonClient.connect(url, token=token) as writer,
    ):
        delivered: list[float] = []
        arrived = asyncio.Event()
        seen, last_seq, wanted = 0, 0, (await reader.call("getChanges", "main", 0, 1))["lastSeq"]

        def on_page(page: dict[str, Any]) -> None:
            nonlocal seen, last_seq
            seen += len(page["changes"])
            last_seq = page["changes"][-1]["seq"]
            delivered.append(time.perf_counter())
            if last_seq >= wanted:
                arrived.set()

        started = time.perf_counter()
        await reader.call("subscribeToChanges", "main", 0, on_page)
        await arrived.wait()
        replayed, took = seen, time.perf_counter() - started
        latencies = []
        for i in range(50):
            arrived.clear()
            wanted = last_seq + 1
            sent = time.perf_counter()
            await writer.call(
                "submitEvents",
                "main",
                [{"eventId": f"live-{i}", "type": "tag.create", "data": {"name": f"t{i}"}}],
            )
            await arrived.wait()
            latencies.append((delivered[-1] - sent) * 1000)
        return replayed, took, latencies


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir, daemon_process(data_dir) as daemon:
        token = daemon.token
        async with await DaemonClient.connect(daemon.url, token=token) as client:
            await client.call("createAccount", "main")
            batch = events(count)
            took, statuses = await submit_all(client, batch)
            assert statuses == ["applied"] * count, set(statuses)
            print(f"submit {count:,} events: {took:.2f} s ({count / took:,.0f} events/s)")
            print(f"(the refresh chain that followed took {await settle(client):.1f} s)")
            took, statuses = await submit_all(client, batch)
            assert statuses == ["duplicate"] * count, set(statuses)
            print(f"the same {count:,} again (all duplicates): {took:.2f} s")
            kept_sql = "SELECT COUNT(*), SUM(LENGTH(eventId) + LENGTH(result) + 8) FROM sync_events"
            [[kept, size]] = await client.call("readSql", "main", kept_sql)
            print(
                f"kept results: {kept:,} events, {size / 1e6:.2f} MB of rows "
                f"({size / kept:,.0f} B each)"
            )
        replayed, took, latencies = await replay(daemon.url, token)
        print(
            f"replay the feed to a subscriber ({replayed:,} changes, one per record): {took:.2f} s"
        )
        print(
            f"submit → delivery of one change: p50 {percentile(latencies, 0.5):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    print(machine_line())
    asyncio.run(run(args.events))


if __name__ == "__main__":
    main()
