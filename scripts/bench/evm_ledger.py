"""Large EVM ledger benchmark: auto-merge and the removal of a file import, memory and event loop.

Two synthetic Etherscan exports of one address (``--hashes`` tx hashes: half swaps, a fifth
token sends, 15% ETH receipts, 15% spam tokens) are imported into one account on a real daemon
process: the normal transactions, then the ERC-20 transfers, whose side effects merge every
swap and send (auto-merge), detect the spam, and refresh balances, net worth and trades. Then
the ERC-20 import is removed, which undoes those merges. Another client pings every 20 ms
throughout. For each phase the script prints the peak RSS of the daemon and its workers, the
ping p50/p99/max, and each task's duration with the worst ping while it ran and when, in it,
each ping over 100 ms came back.

Usage: .venv/bin/python scripts/bench/evm_ledger.py [--hashes 100000] [--logs]
Targets: ping max <= 250 ms in every phase.
"""

import argparse
import asyncio
import contextlib
import hashlib
import random
import tempfile
import time
from dataclasses import dataclass, field

import psutil
from bench_daemon import DaemonProcess, daemon_process, percentile
from bench_upload import upload
from machine_speed import machine_line
from peak_memory import PeakMemory

from privatefolio_daemon.client import DaemonClient

USER = "0x1234567890123456789012345678901234567890"
ROUTER = "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"
TOKENS = {
    "USDC": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    "DAI": "0x6B175474E89094C44Da98b954EedeAC495271d0F",
}
NORMAL_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $3000/Eth","TxnFee(ETH)","TxnFee(USD)",'
    '"Historical $Price/Eth","Status","ErrCode","Method"'
)
ERC20_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
    '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"'
)
PING_SECONDS = 0.02
STALL_SECONDS = 0.1
QUIET_SECONDS = 6.0
TIMEOUT_SECONDS = 900


def _row(*values: object) -> str:
    return ",".join(f'"{value}"' for value in values)


def etherscan_exports(hashes: int) -> tuple[bytes, bytes]:
    """The normal and the ERC-20 export (fixed seed)."""
    rng = random.Random(7)
    normal, erc20 = [NORMAL_HEADER], [ERC20_HEADER]
    stamp = 1_609_459_200
    for index in range(hashes):
        stamp += rng.randint(30, 900)
        tx_hash = "0x" + hashlib.sha256(str(index).encode()).hexdigest()
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp))
        block, other = 11_000_000 + index, f"0x{index:040d}"
        amount, fee = f"{rng.uniform(0.001, 2):.8f}", f"{rng.uniform(0.0001, 0.01):.8f}"
        symbol = rng.choice(list(TOKENS))
        kind = rng.random()
        head = (tx_hash, block, stamp, when)
        if kind < 0.5:  # a swap: ETH out, a token in
            normal.append(_row(*head, USER, ROUTER, "", 0, amount, 0, fee, 0, 3000, "", "", "Swap"))
            erc20.append(_row(*head, ROUTER, USER, amount, 0, TOKENS[symbol], symbol, symbol))
        elif kind < 0.7:  # a token sent, its fee paid in ETH
            normal.append(
                _row(*head, USER, TOKENS[symbol], "", 0, 0, 0, fee, 0, 3000, "", "", "Transfer")
            )
            erc20.append(_row(*head, USER, other, amount, 0, TOKENS[symbol], symbol, symbol))
        elif kind < 0.85:  # ETH received
            normal.append(_row(*head, other, USER, "", amount, 0, 0, 0, 0, 3000, "", "", ""))
        else:  # a spam token received
            spam = f"SPM{index % 50}"
            contract = f"0x{900_000 + index % 50:040d}"
            erc20.append(_row(*head, other, USER, amount, 0, contract, spam, spam))
    return ("\n".join(normal) + "\n").encode(), ("\n".join(erc20) + "\n").encode()


@dataclass
class Phase:
    name: str
    pings: list[tuple[float, float]] = field(default_factory=list)
    """(wall-clock time, round trip in seconds)."""
    peak_rss: int = 0
    seconds: float = 0.0
    tasks: list[dict[str, object]] = field(default_factory=list)


async def _ping(daemon: DaemonProcess, phase: Phase) -> None:
    pinger = await DaemonClient.connect(daemon.url, token=daemon.token)
    try:
        while True:
            started = time.perf_counter()
            await pinger.call("ping")
            phase.pings.append((time.time(), time.perf_counter() - started))
            await asyncio.sleep(PING_SECONDS)
    finally:
        await pinger.close()


async def _until_idle(client: DaemonClient, account: str, memory: PeakMemory) -> None:
    started = last_busy = time.perf_counter()
    while time.perf_counter() - last_busy < QUIET_SECONDS:
        tasks = await client.call("getServerTasks", account)
        if any(task["status"] in ("queued", "running") for task in tasks):
            last_busy = time.perf_counter()
        if last_busy - started > TIMEOUT_SECONDS:
            raise TimeoutError(f"the tasks ran over {TIMEOUT_SECONDS} s")
        memory.sample()
        await asyncio.sleep(0.1)


async def run_phase(
    daemon: DaemonProcess, client: DaemonClient, account: str, name: str, start: object
) -> Phase:
    """Run ``start`` (a coroutine queueing work) and wait until the account is idle again."""
    phase = Phase(name)
    memory = PeakMemory(psutil.Process(daemon.process.pid))
    memory.reset()
    before = {task["id"] for task in await client.call("getServerTasks", account)}
    pinging = asyncio.create_task(_ping(daemon, phase))
    started = time.perf_counter()
    await start  # type: ignore[misc]
    await _until_idle(client, account, memory)
    phase.seconds = time.perf_counter() - started - QUIET_SECONDS
    pinging.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pinging
    phase.peak_rss = memory.tree_peak
    tasks = await client.call("getServerTasks", account)
    phase.tasks = sorted((t for t in tasks if t["id"] not in before), key=lambda t: t["id"])
    for task in phase.tasks:
        task["log"] = await client.call("getServerTaskLog", account, task["id"])
    return phase


def report(phase: Phase, logs: bool) -> None:
    latencies = [latency for _, latency in phase.pings]
    print(
        f"{phase.name}: {phase.seconds:.1f} s, peak RSS {phase.peak_rss / 2**20:.0f} MB, "
        f"ping p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms, "
        f"over 200 ms: {sum(latency > 0.2 for latency in latencies)}"
    )
    for task in phase.tasks:
        begin, end = int(task.get("startedAt") or 0), int(task.get("completedAt") or 0)
        worst = max(
            (lat for at, lat in phase.pings if begin / 1000 <= at <= end / 1000 + 0.2), default=0
        )
        duration = (end - begin) / 1000
        print(f"  {task['name']:<40} {duration:6.1f} s  ping max {worst * 1000:6.1f} ms")
        for at, latency in phase.pings:
            if latency > STALL_SECONDS and begin / 1000 <= at <= end / 1000 + 0.2:
                print(f"    stall of {latency * 1000:.0f} ms {at - begin / 1000:.1f} s in")
        if logs and worst > STALL_SECONDS:
            print(task["log"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hashes", type=int, default=100_000)
    parser.add_argument("--logs", action="store_true", help="the log of each task that stalled")
    options = parser.parse_args()
    print(machine_line())
    normal, erc20 = etherscan_exports(options.hashes)
    with tempfile.TemporaryDirectory() as data_dir, daemon_process(data_dir) as daemon:
        client = await DaemonClient.connect(daemon.url, token=daemon.token)
        account = "evm"
        await client.call("createAccount", account)
        context = {"platform": "chain.ethereum", "userAddress": USER}
        for name, content in (("normal", normal), ("erc20", erc20)):
            file_id = await upload(daemon, client, account, content, "export.csv")
            queued = client.call("enqueueImportFile", account, "user", file_id, context)
            phase = f"import {name} + side effects"
            report(await run_phase(daemon, client, account, phase, queued), options.logs)
        imports = await client.call("getFileImports", account)
        erc20_import = imports[0]["id"]  # the last finished first
        removal = client.call("enqueueRemoveFileImport", account, "user", erc20_import)
        phase = "remove erc20 + side effects"
        report(await run_phase(daemon, client, account, phase, removal), options.logs)
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
