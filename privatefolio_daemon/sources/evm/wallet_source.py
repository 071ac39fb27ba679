"""``EvmWalletSource``: the ``etherscan-connection`` plug-in (one address on one EVM chain).

A sync books blocks ``cursor``..``head - confirmations`` and returns the block after the last one
it booked as the next cursor (the cursor never moves back; with no new block to book it comes
back unchanged, with no records).

**Why the newest blocks wait.** An explorer indexes a block some seconds after the node has it,
and the newest blocks may still be reorganised away. A sync that booked up to the node's head
would move its cursor past transactions the explorer did not show yet, or past a block that is
then replaced, and never look at them again. So a sync leaves the newest ``confirmations`` blocks
(per chain about two minutes of blocks: 12 on Ethereum, 480 on Arbitrum One; the connection
option ``confirmations`` overrides it) for a later sync, and never books a block beyond the
newest one the explorer says it has indexed (``getblocknobytime``), however far it lags.
Re-scanning a margin of booked blocks at each sync was the other choice: it shows a transfer two
minutes sooner, but every sync would then write the same records again, and those records
replace what auto-merge made of them (merged transactions, re-pointed logs) until the side
effects merge them again. Balances are still read at the head.

- **With an explorer** (an explorer URL and ``spec.api_key``): native transfers and fees from
  ``txlist``, internal transfers from ``txlistinternal``, ERC-20 transfers from ``tokentx``.
  The explorer wins over ``eth_getLogs``, which is then not used.
- **Without one**: ERC-20 transfers from ``eth_getLogs`` (symbol and decimals read from the
  token). Native transfers and fees cannot be listed from a plain node, so the ledger holds none
  of the native coin; the task log says so with the native balance read at the head.

Both ERC-20 paths build identical records (see ``history.py``). Balances (``SyncResult.balances``)
are read at the head block for the native coin and every token seen in this sync or listed in
``options.knownAssetIds``.
"""

import asyncio
import inspect
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from privatefolio_daemon.sources.connection_source import (
    ConnectionSpec,
    Progress,
    SyncError,
    SyncResult,
)
from privatefolio_daemon.sources.evm.balances import BalanceQuery, read_balances
from privatefolio_daemon.sources.evm.chains import ZERO_ADDRESS, Chain, chain_table
from privatefolio_daemon.sources.evm.contract_calls import CallFailed
from privatefolio_daemon.sources.evm.explorer import ExplorerClient
from privatefolio_daemon.sources.evm.history import (
    explorer_token_history,
    explorer_token_infos,
    internal_history,
    log_token_history,
    normal_history,
)
from privatefolio_daemon.sources.evm.rpc_pool import (
    DEFAULT_COOLDOWN_S,
    DEFAULT_MAX_RETRY_AFTER_S,
    DEFAULT_RETRY_DELAY_S,
    RpcPool,
    RpcUnavailable,
    rpc_error_text,
)
from privatefolio_daemon.sources.evm.token_metadata import TokenMetadataCache
from privatefolio_daemon.sources.evm.transfer_logs import TransferLogScanner, block_timestamps
from privatefolio_daemon.sources.evm.units import NATIVE_DECIMALS
from privatefolio_daemon.sources.evm.verify import BalanceDifference, balance_differences
from privatefolio_daemon.sources.evm.wallet_settings import WalletSettings, wallet_settings
from privatefolio_daemon.sources.importers.base import RowResult
from privatefolio_daemon.sources.importers.etherscan_normal import RecordOrigin
from privatefolio_daemon.sources.importers.evm import checksum_address, is_address
from privatefolio_daemon.sources.prices.rate_limit import HostRateLimiter

EXPLORER_TIMEOUT_S = 30.0


class EvmWalletSource:
    extension_id = "etherscan-connection"

    def __init__(
        self,
        *,
        extra_chains: Iterable[Chain] = (),
        rpc_rate: float = 20.0,
        rpc_burst: int = 40,
        explorer_rate: float = 4.0,
        explorer_burst: int = 4,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        explorer_retry_delay_s: float = 0.25,
        rpc_retry_delay_s: float = DEFAULT_RETRY_DELAY_S,
        rpc_max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
    ) -> None:
        self._chains = chain_table(extra_chains)
        self._rpc_limiter = HostRateLimiter(rpc_rate, rpc_burst)
        self._explorer_limiter = HostRateLimiter(explorer_rate, explorer_burst)
        self._cooldown_s = cooldown_s
        self._explorer_retry_delay_s = explorer_retry_delay_s
        self._rpc_retry_delay_s = rpc_retry_delay_s
        self._rpc_max_retry_after_s = rpc_max_retry_after_s
        self._pools: dict[tuple[int, tuple[str, ...]], RpcPool] = {}
        self._scanners: dict[tuple[int, tuple[str, ...]], TransferLogScanner] = {}
        self._tokens = TokenMetadataCache()
        self._session: aiohttp.ClientSession | None = None

    async def sync(self, spec: ConnectionSpec, cursor: int, progress: Progress) -> SyncResult:
        from web3.exceptions import Web3Exception

        settings = wallet_settings(spec, self._chains)
        pool = self._pool(settings)
        try:
            head = await pool.run(_block_number)
            last = head - settings.chain.confirmations
            indexed = await self._indexed_head(settings)
            lagging = indexed is not None and indexed < last
            if indexed is not None and lagging:
                last = indexed
            history = RowResult()
            if cursor <= last:
                first = max(cursor, 0)
                await _report(progress, 0, f"Fetching blocks {first} to {last}")
                history = await self._history(settings, pool, spec.id, first, last, progress)
            await _report(progress, 90, "Reading current balances")
            assets = [log.assetId for log in history.logs] + list(settings.known_asset_ids)
            balances = await self._read_balances(settings, pool, assets, head)
            if settings.explorer_url is None:
                await _report(progress, None, _native_not_booked(settings.chain, balances, head))
        except RpcUnavailable as error:
            raise SyncError(f"{settings.chain.name}: {error}") from None
        except CallFailed as error:
            raise SyncError(f"{settings.chain.name}: a contract call failed: {error}") from None
        except Web3Exception as error:
            raise SyncError(f"{settings.chain.name}: {rpc_error_text(error)}") from None
        waiting = f"; blocks {last + 1} to {head} wait for a later sync" if last < head else ""
        if lagging:
            waiting += " (the explorer has not indexed them yet)"
        await _report(progress, 100, f"Synced up to block {last}{waiting}")
        return SyncResult(
            history.logs, history.transactions, cursor=max(cursor, last + 1), balances=balances
        )

    async def balances(self, spec: ConnectionSpec, asset_ids: Iterable[str] = ()) -> dict[str, str]:
        """Current on-chain balances of the native coin and of ``asset_ids`` on this chain."""
        settings = wallet_settings(spec, self._chains)
        pool = self._pool(settings)
        try:
            head = await pool.run(_block_number)
            return await self._read_balances(settings, pool, list(asset_ids), head)
        except RpcUnavailable as error:
            raise SyncError(f"{settings.chain.name}: {error}") from None

    async def verify_balances(
        self, spec: ConnectionSpec, computed: dict[str, str]
    ) -> list[BalanceDifference]:
        """Where ``computed`` (``{assetId: decimal string}`` of this wallet) disagrees with the
        chain. Assets of other platforms in ``computed`` are ignored."""
        own = {a: v for a, v in computed.items() if a.startswith(spec.platform_id + ":")}
        on_chain = await self.balances(spec, own)
        return balance_differences(own, on_chain)

    async def close(self) -> None:
        for pool in self._pools.values():
            await pool.close()
        self._pools.clear()
        self._scanners.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _history(
        self,
        settings: WalletSettings,
        pool: RpcPool,
        connection_id: str,
        first: int,
        last: int,
        progress: Progress,
    ) -> RowResult:
        origin = RecordOrigin(connection_id=connection_id)
        chain, address = settings.chain, settings.address
        explorer = self._explorer(settings)
        if explorer is None:
            scanner = self._scanner(settings, pool)
            await _report(progress, 10, "Fetching ERC-20 transfer logs")
            transfers = await scanner.scan(address, first, last)
            await _report(progress, 60, f"Reading {len(transfers)} transfers' blocks and tokens")
            timestamps = await block_timestamps(pool, {t.block_number for t in transfers})
            tokens = await self._tokens.lookup(pool, (t.contract for t in transfers), last)
            return await asyncio.to_thread(
                log_token_history, transfers, timestamps, tokens, origin, chain, address
            )
        await _report(progress, 10, "Fetching normal transactions")
        normal = await explorer.normal_transactions(address, first, last)
        await _report(progress, 35, "Fetching internal transactions")
        internal = await explorer.internal_transactions(address, first, last)
        await _report(progress, 60, "Fetching ERC-20 transfers")
        token = await explorer.token_transfers(address, first, last)
        try:
            for contract, info in explorer_token_infos(token).items():
                self._tokens.remember(chain.chain_id, contract, info)
            # Thousands of records take a while to map: on a thread, the daemon answers meanwhile.
            return await asyncio.to_thread(
                _explorer_history, normal, internal, token, origin, chain, address
            )
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            detail = f"no field {error}" if isinstance(error, KeyError) else str(error)
            raise SyncError(
                f"The explorer at {urlsplit(settings.explorer_url or '').netloc} answered "
                f"records this sync cannot read ({detail}): is it an Etherscan-compatible API?"
            ) from None

    async def _read_balances(
        self, settings: WalletSettings, pool: RpcPool, asset_ids: list[str], head: int
    ) -> dict[str, str]:
        chain = settings.chain
        tokens: dict[str, str] = {}  # contract → asset id
        for asset_id in dict.fromkeys(asset_ids):
            parts = asset_id.split(":", 2)  # a symbol may hold ":" (LP:ETH-USDC)
            if len(parts) != 3 or parts[0] != chain.platform_id or not is_address(parts[1]):
                continue
            contract = checksum_address(parts[1])
            if contract != ZERO_ADDRESS:
                tokens.setdefault(contract, asset_id)
        infos = await self._tokens.lookup(pool, tokens, head)
        queries = [BalanceQuery(chain.native_asset_id, ZERO_ADDRESS, NATIVE_DECIMALS)]
        queries += [
            BalanceQuery(asset_id, contract, infos[contract].decimals)
            for contract, asset_id in tokens.items()
            if contract in infos
        ]
        return await read_balances(pool, settings.address, queries, head, settings.multicall)

    def _pool(self, settings: WalletSettings) -> RpcPool:
        key = (settings.chain.chain_id, settings.chain.rpc_urls)
        if key not in self._pools:
            self._pools[key] = RpcPool(
                settings.chain.rpc_urls,
                settings.chain.chain_id,
                self._rpc_limiter,
                cooldown_s=self._cooldown_s,
                retry_delay_s=self._rpc_retry_delay_s,
                max_retry_after_s=self._rpc_max_retry_after_s,
            )
        return self._pools[key]

    def _scanner(self, settings: WalletSettings, pool: RpcPool) -> TransferLogScanner:
        key = (settings.chain.chain_id, settings.chain.rpc_urls)
        if key not in self._scanners:
            self._scanners[key] = TransferLogScanner(pool, initial_range=settings.logs_range)
        return self._scanners[key]

    async def _indexed_head(self, settings: WalletSettings) -> int | None:
        """How far the explorer has indexed: a sync books no block beyond it, since blocks it
        has not indexed yet would read as empty and the cursor would pass them for good."""
        explorer = self._explorer(settings)
        return None if explorer is None else await explorer.indexed_head(int(time.time()))

    def _explorer(self, settings: WalletSettings) -> ExplorerClient | None:
        if settings.explorer_url is None or settings.api_key is None:
            return None
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=EXPLORER_TIMEOUT_S)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return ExplorerClient(
            settings.explorer_url,
            settings.api_key,
            settings.chain.chain_id,
            self._session,
            self._explorer_limiter,
            page_size=settings.explorer_page_size,
            retry_delay_s=self._explorer_retry_delay_s,
        )


async def _block_number(web3: Any) -> int:
    return int(await web3.eth.block_number)


def _native_not_booked(chain: Chain, balances: dict[str, str], head: int) -> str:
    symbol = chain.native_symbol
    balance = balances.get(chain.native_asset_id, "0")
    return (
        f"Without an explorer, {symbol} transfers cannot be listed, so the ledger holds none of "
        f"this wallet's {symbol}: its on-chain balance is {balance} {symbol} at block {head}. "
        f"Configure an explorer (its API URL and an API key) to book {symbol} transfers and fees"
    )


async def _report(progress: Progress, percent: float | None, message: str) -> None:
    outcome = progress(percent, message)
    if inspect.isawaitable(outcome):
        await outcome


def _explorer_history(
    normal: list[dict[str, Any]],
    internal: list[dict[str, Any]],
    token: list[dict[str, Any]],
    origin: RecordOrigin,
    chain: Chain,
    address: str,
) -> RowResult:
    """The records of what an explorer listed: normal, internal and token transfers."""
    result = normal_history(normal, origin, chain, address)
    for part in (
        internal_history(internal, origin, chain, address),
        explorer_token_history(token, origin, chain, address),
    ):
        result.logs.extend(part.logs)
        result.transactions.extend(part.transactions)
    return result
