"""Wallet-sync benchmark: sync a wallet with 1,000 token transfers from the local EVM stand-in.

The chain is built first (100 transfers per block, half sent by the wallet, half received), then
one fresh ``EvmWalletSource`` syncs it from block 0, once through the explorer stand-in and once
from ``eth_getLogs`` alone. Only the sync is timed.

With ``--daemon``, a real daemon (temp data dir, crons off) syncs the same wallet end to end
instead: ``upsertConnections`` then ``enqueueSyncConnection`` over WebSocket RPC, timed from the
enqueue to the task's end (fetch, one write transaction, events), through the explorer stand-in.

Usage: .venv/bin/python scripts/bench/sync.py [--transfers 1000] [--daemon]
Target: <= 5 s per sync.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from privatefolio_daemon.config import load_config
from privatefolio_daemon.sources.connection_source import ConnectionSpec
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.standins.etherscan_api import EtherscanApi
from tests.standins.evm_node import EvmNode

KEY = "BENCHKEY"
PER_BLOCK = 100


def build_chain(node: EvmNode, transfers: int) -> tuple[str, str]:
    multicall3 = node.deploy_multicall3()
    token = node.deploy_token("Bench USD", "BUSD", 6)
    wallet, other = node.new_account(10**20), node.new_account(10**20)
    node.mint(token, wallet, 10**12)
    node.mint(token, other, 10**12)
    for start in range(0, transfers, PER_BLOCK):
        with node.single_block():
            for n in range(start, min(transfers, start + PER_BLOCK)):
                sender, to = (wallet, other) if n % 2 == 0 else (other, wallet)
                node.transfer_token(token, sender, to, 1_000 + n)
    return wallet, multicall3


async def timed_sync(spec: ConnectionSpec) -> tuple[float, int, int]:
    source = EvmWalletSource(explorer_rate=100.0, explorer_burst=100)
    try:
        started = time.perf_counter()
        result = await source.sync(spec, 0, lambda *_: None)
        elapsed = time.perf_counter() - started
    finally:
        await source.close()
    return elapsed, len(result.logs), len(result.transactions)


async def timed_daemon_sync(wallet: str, options: dict[str, Any]) -> tuple[float, int, str]:
    """Time ``enqueueSyncConnection`` of ``wallet`` through a real daemon; returns the seconds,
    the audit logs written and the task's status."""
    with tempfile.TemporaryDirectory() as data_dir:
        daemon = Daemon(load_config(environ={}, data_dir=data_dir, port=0, crons=False))
        await daemon.start()
        url = f"ws://127.0.0.1:{daemon.port}/"
        client = await DaemonClient.connect(url, token=daemon.credentials.desktop_token())
        try:
            await client.call("createAccount", "bench")
            connection = {
                "extensionId": "etherscan-connection",
                "platformId": "chain.ethereum",
                "address": wallet,
                "apiKey": KEY,
                "options": options,
            }
            [saved] = await client.call("upsertConnections", "bench", [connection])
            started = time.perf_counter()
            task_id = await client.call("enqueueSyncConnection", "bench", "user", saved["id"])
            task = await _finished(client, task_id)
            elapsed = time.perf_counter() - started
            logs = await client.call("countAuditLogs", "bench")
        finally:
            await client.close()
            await daemon.stop()
    return elapsed, logs, task["status"]


async def _finished(client: DaemonClient, task_id: int) -> dict[str, Any]:
    while True:
        task: dict[str, Any] = await client.call("getServerTask", "bench", task_id)
        if task["status"] in ("completed", "failed", "aborted", "cancelled"):
            return task
        await asyncio.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--daemon", action="store_true", help="sync through a real daemon")
    args = parser.parse_args()
    with EvmNode.start() as node, EtherscanApi.start(node, api_key=KEY) as etherscan:
        started = time.perf_counter()
        wallet, multicall3 = build_chain(node, args.transfers)
        print(f"chain built in {time.perf_counter() - started:.1f} s, head {node.block_number()}")
        options = {
            "rpcUrls": [node.url],
            "explorerApiUrl": etherscan.url,
            "multicall3": multicall3,
            "confirmations": 0,  # book up to the head: the chain ends with the transfers
        }
        if args.daemon:
            elapsed, logs, status = asyncio.run(timed_daemon_sync(wallet, options))
            print(f"      daemon: {elapsed:.2f} s ({logs} audit logs, task {status})")
            return
        for label, api_key in (("explorer", KEY), ("eth_getLogs", None)):
            spec = ConnectionSpec(
                id="bench",
                extension_id="etherscan-connection",
                platform_id="chain.ethereum",
                address=wallet,
                api_key=api_key,
                options=options,
            )
            elapsed, logs, transactions = asyncio.run(timed_sync(spec))
            print(f"{label:>12}: {elapsed:.2f} s ({logs} audit logs, {transactions} transactions)")


if __name__ == "__main__":
    main()
