"""Computed balances against on-chain ones, for the "Verify balances" task."""

from collections.abc import Mapping
from dataclasses import dataclass

from privatefolio_daemon.domain.decimals import add, parse, to_fixed


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    asset_id: str
    computed: str
    on_chain: str
    #: ``on_chain − computed``: what the computed history is missing.
    difference: str

    def to_wire(self) -> dict[str, str]:
        return {
            "assetId": self.asset_id,
            "computed": self.computed,
            "onChain": self.on_chain,
            "difference": self.difference,
        }


def balance_differences(
    computed: Mapping[str, str], on_chain: Mapping[str, str]
) -> list[BalanceDifference]:
    """One entry per asset the chain reported whose balances differ, sorted by asset id.

    An asset missing from ``computed`` counts as 0 there. An asset missing from ``on_chain`` (its
    call failed) cannot be verified and is left out.
    """
    differences = []
    for asset_id in sorted(on_chain):
        mine = parse(computed.get(asset_id, "0"))
        theirs = parse(on_chain[asset_id])
        if mine != theirs:
            difference = add(theirs, mine.copy_negate())
            differences.append(
                BalanceDifference(asset_id, to_fixed(mine), to_fixed(theirs), to_fixed(difference))
            )
    return differences
