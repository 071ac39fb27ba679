"""The EVM chains a wallet connection can sync: the built-in table plus user-added chains."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from privatefolio_daemon.resources import static_data_dir

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
#: Blocks a sync leaves for the next one (see ``wallet_source``): about two minutes of blocks.
DEFAULT_CONFIRMATIONS = 12
_CONFIRMATIONS = {1: 12, 10: 60, 137: 64, 8453: 60, 42161: 480}


@dataclass(frozen=True, slots=True)
class Chain:
    chain_id: int
    platform_id: str
    name: str
    native_symbol: str
    rpc_urls: tuple[str, ...]
    explorer_api_url: str | None = None
    multicall3: str = MULTICALL3_ADDRESS
    #: How many of the newest blocks a sync leaves for the next one.
    confirmations: int = DEFAULT_CONFIRMATIONS

    @property
    def native_asset_id(self) -> str:
        return f"{self.platform_id}:{ZERO_ADDRESS}:{self.native_symbol}"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "Chain":
        """A chain as ``data/chains.json`` writes it (camelCase keys)."""
        chain_id = int(raw["chainId"])
        confirmations = raw.get("confirmations")
        return cls(
            chain_id=chain_id,
            platform_id=str(raw["platformId"]),
            name=str(raw.get("name") or raw["platformId"]),
            native_symbol=str(raw.get("nativeSymbol") or "ETH"),
            rpc_urls=tuple(str(url) for url in raw.get("rpcUrls") or ()),
            explorer_api_url=raw.get("explorerApiUrl") or None,
            multicall3=str(raw.get("multicall3") or MULTICALL3_ADDRESS),
            confirmations=int(
                confirmations
                if confirmations is not None
                else _CONFIRMATIONS.get(chain_id, DEFAULT_CONFIRMATIONS)
            ),
        )


@cache
def _builtin_table() -> Mapping[str, Chain]:
    raw = orjson.loads((static_data_dir() / "chains.json").read_bytes())
    return {chain.platform_id: chain for chain in map(Chain.from_json, raw["chains"])}


def builtin_chains() -> list[Chain]:
    return list(_builtin_table().values())


def builtin_chain(platform_id: str) -> Chain | None:
    """The built-in chain of a platform id (``data/chains.json``), or None."""
    return _builtin_table().get(platform_id)


def unsupported_platform(platform_id: str) -> str:
    """The message refusing a platform that is no chain of the table."""
    return f"Unsupported EVM platform: {platform_id}"


def chain_table(extra: Iterable[Chain] = ()) -> dict[str, Chain]:
    """Chains by platform id; a user-added chain replaces a built-in one with the same id."""
    table = dict(_builtin_table())
    table.update({chain.platform_id: chain for chain in extra})
    return table
