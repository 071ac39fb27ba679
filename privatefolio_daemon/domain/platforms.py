"""The platforms the daemon knows: blockchains (``data/chains.json``) and exchanges and apps
(``data/platforms.json``). Both lists ship with the daemon; nothing is downloaded.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson

from privatefolio_daemon.resources import static_data_dir

Platform = dict[str, Any]


def _blockchain(raw: dict[str, Any]) -> Platform:
    return {
        "id": raw["platformId"],
        "name": raw.get("name") or raw["platformId"],
        "type": "blockchain",
        "chainId": raw["chainId"],
        "nativeSymbol": raw.get("nativeSymbol", "ETH"),
        **({"nativeCoinId": raw["nativeCoingeckoId"]} if raw.get("nativeCoingeckoId") else {}),
    }


@cache
def _load() -> tuple[Platform, ...]:
    data_dir = static_data_dir()
    chains = orjson.loads((data_dir / "chains.json").read_bytes())["chains"]
    others = orjson.loads((data_dir / "platforms.json").read_bytes())["platforms"]
    return tuple([_blockchain(chain) for chain in chains] + list(others))


class PlatformCatalog:
    """Read-only lookups over the static platform list."""

    def __init__(self) -> None:
        self._platforms = _load()
        self._by_id = {platform["id"]: platform for platform in self._platforms}

    def all(self) -> list[Platform]:
        return [dict(platform) for platform in self._platforms]

    def of_type(self, kind: str) -> list[Platform]:
        return [dict(platform) for platform in self._platforms if platform["type"] == kind]

    def get(self, platform_id: str) -> Platform | None:
        platform = self._by_id.get(platform_id)
        return dict(platform) if platform is not None else None

    def describe(self, platform_ids: Iterable[str]) -> list[Platform]:
        """Known platforms as listed; an unknown id becomes ``{id, name: id}``."""
        return [self.get(pid) or {"id": pid, "name": pid} for pid in platform_ids]

    def native_coingecko_id(self, platform_id: str) -> str | None:
        platform = self._by_id.get(platform_id)
        return None if platform is None else platform.get("nativeCoinId")

    def is_evm(self, platform_id: str) -> bool:
        platform = self._by_id.get(platform_id)
        return platform is not None and "chainId" in platform


def find_platforms(
    candidates: Iterable[Platform], query: str, limit: int, strict: bool
) -> list[Platform]:
    """Platforms whose id equals the query or, when not strict, whose id or name contains it."""
    needle = query.strip().lower()

    def matches(platform: Platform) -> bool:
        platform_id, name = platform["id"].lower(), str(platform["name"]).lower()
        return platform_id == needle or (not strict and (needle in platform_id or needle in name))

    return [platform for platform in candidates if matches(platform)][:limit]
