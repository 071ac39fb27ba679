"""Which assets get trades: a set taken before a trades run, that stays right for assets the run
meets first (a transaction added while it started)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ListedAssets:
    """``asset_id in listed``: the verdict taken for the assets known when it was made; an asset
    met later is judged by ``judge``, which needs no stored preference (a new asset has none)."""

    listed: frozenset[str]
    known: frozenset[str]
    judge: Callable[[str], bool]

    def __contains__(self, asset_id: object) -> bool:
        if asset_id in self.known:
            return asset_id in self.listed
        return isinstance(asset_id, str) and self.judge(asset_id)
