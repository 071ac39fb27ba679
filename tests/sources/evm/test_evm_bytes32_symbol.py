"""A token whose ``symbol()`` returns ``bytes32`` (as MKR's does) gets the same asset id from the
explorer as from ``eth_getLogs``."""

from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.sources.evm.wallet_scene import PLATFORM, Scene, day, sync


async def test_a_bytes32_symbol_is_read_as_text_by_both_paths(scene: Scene) -> None:
    token = scene.node.deploy_bytes32_symbol_token("MKR", 18)
    scene.hashes["mkr"] = scene.at(day(7)).node.mint(token, scene.alice, 3 * 10**18)
    mkr = f"{PLATFORM}:{token}:MKR"
    booked: dict[bool, list[tuple[str, str]]] = {}
    for explorer in (True, False):
        source = EvmWalletSource()
        try:
            result = await sync(source, scene.spec(explorer=explorer), 0)
        finally:
            await source.close()
        booked[explorer] = [
            (log.assetId, log.change) for log in result.logs if token in log.assetId
        ]
        assert result.balances is not None and result.balances[mkr] == "3"

    assert booked[True] == booked[False] == [(mkr, "3")]
