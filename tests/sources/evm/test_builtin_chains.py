"""The built-in chains and the Etherscan importers agree on every chain's native coin."""

from privatefolio_daemon.sources.evm.chains import builtin_chains
from privatefolio_daemon.sources.importers.evm import native_asset_id


def test_every_chain_an_import_knows_is_built_in_with_the_same_native_coin() -> None:
    chains = {chain.platform_id: chain for chain in builtin_chains()}
    for platform_id in chains:
        assert chains[platform_id].native_asset_id == native_asset_id(platform_id)
    assert len({chain.chain_id for chain in chains.values()}) == len(chains)
