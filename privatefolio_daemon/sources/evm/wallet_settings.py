"""What one wallet sync needs, from the connection and its chain, with the options' overrides.

Connection ``options`` understood here (all optional; camelCase like the rest of the wire):

| key | meaning |
|---|---|
| ``rpcUrls`` | RPC URLs to use, in failover order, instead of the chain's |
| ``explorerApiUrl`` | Etherscan-v2-compatible API URL instead of the chain's; ``""`` disables it |
| ``multicall3`` | Multicall3 address (default ``0xcA11bde05977b3631167028862bE2a173976CA11``) |
| ``multicallBatchSize`` | most balance calls in one ``aggregate3`` (default 500) |
| ``callGasLimit`` | gas given to each ``eth_call`` (default: the node's cap) |
| ``explorerPageSize`` | records per explorer page (default 1,000) |
| ``logsBlockRange`` | first ``eth_getLogs`` range, in blocks (default 10,000) |
| ``confirmations`` | newest blocks a sync leaves for the next one (default: the chain's, about
  two minutes of blocks; 0 books up to the head) |
| ``knownAssetIds`` | asset ids seen by earlier syncs (the connection's ``meta.assetIds``), so their
  balances are read too |
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncError
from privatefolio_daemon.sources.evm.balances import DEFAULT_BATCH_SIZE, MulticallSettings
from privatefolio_daemon.sources.evm.chains import Chain, unsupported_platform
from privatefolio_daemon.sources.evm.explorer import DEFAULT_PAGE_SIZE
from privatefolio_daemon.sources.evm.transfer_logs import DEFAULT_RANGE
from privatefolio_daemon.sources.importers.evm import checksum_address, is_address


@dataclass(frozen=True, slots=True)
class WalletSettings:
    chain: Chain
    address: str
    api_key: str | None
    multicall: MulticallSettings
    explorer_page_size: int
    logs_range: int
    known_asset_ids: tuple[str, ...]

    @property
    def explorer_url(self) -> str | None:
        """The explorer is used only with both a URL and an API key."""
        return self.chain.explorer_api_url if self.api_key else None


def wallet_settings(spec: ConnectionSpec, chains: Mapping[str, Chain]) -> WalletSettings:
    chain = chains.get(spec.platform_id)
    if chain is None:
        raise SyncError(unsupported_platform(spec.platform_id))
    if not spec.address or not is_address(spec.address):
        raise SyncError(f"Invalid EVM address: {spec.address or '(none)'}")
    options = spec.options
    chain = _with_overrides(chain, options)
    if not chain.rpc_urls:
        raise SyncError(f"No RPC URL configured for {chain.name}")
    return WalletSettings(
        chain=chain,
        address=checksum_address(spec.address),
        api_key=spec.api_key or None,
        multicall=MulticallSettings(
            address=checksum_address(chain.multicall3),
            batch_size=_positive(options, "multicallBatchSize", DEFAULT_BATCH_SIZE),
            gas=_positive(options, "callGasLimit", 0) or None,
        ),
        explorer_page_size=_positive(options, "explorerPageSize", DEFAULT_PAGE_SIZE),
        logs_range=_positive(options, "logsBlockRange", DEFAULT_RANGE),
        known_asset_ids=tuple(str(a) for a in options.get("knownAssetIds") or ()),
    )


def check_options(options: Mapping[str, Any]) -> None:
    """Raise ``SyncError`` for an option whose value no sync could use (checked on upsert)."""
    if options.get("confirmations") is not None:
        _non_negative(options, "confirmations")
    if options.get("multicall3") and not is_address(str(options["multicall3"])):
        multicall3 = options["multicall3"]
        raise SyncError(f"Option 'multicall3' must be an EVM address, received: {multicall3!r}")
    for key in ("multicallBatchSize", "callGasLimit", "explorerPageSize", "logsBlockRange"):
        _positive(options, key, 1)


def _with_overrides(chain: Chain, options: Mapping[str, Any]) -> Chain:
    if options.get("rpcUrls"):
        chain = replace(chain, rpc_urls=tuple(str(url) for url in options["rpcUrls"]))
    if "explorerApiUrl" in options:
        chain = replace(chain, explorer_api_url=options["explorerApiUrl"] or None)
    if options.get("confirmations") is not None:
        chain = replace(chain, confirmations=_non_negative(options, "confirmations"))
    if options.get("multicall3"):
        multicall3 = str(options["multicall3"])
        if not is_address(multicall3):
            raise SyncError(f"Invalid Multicall3 address: {multicall3}")
        chain = replace(chain, multicall3=multicall3)
    return chain


def _non_negative(options: Mapping[str, Any], key: str) -> int:
    value = options[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SyncError(f"Option '{key}' must be a non-negative integer, received: {value!r}")
    return value


def _positive(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SyncError(f"Option '{key}' must be a positive integer, received: {value!r}")
    return value
