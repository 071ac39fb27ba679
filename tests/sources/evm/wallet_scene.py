"""A wallet history on the EVM stand-in, spread over several days, and helpers to sync it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from privatefolio_daemon.sources.connection_source import ConnectionSpec, SyncResult
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.standins.etherscan_api import EtherscanApi, InternalTransaction
from tests.standins.evm_chain import GENESIS_TIMESTAMP
from tests.standins.evm_node import EvmNode

KEY = "SECRETKEY123"
CONNECTION_ID = "3141592653"
PLATFORM = "chain.ethereum"
ETH = f"{PLATFORM}:0x0000000000000000000000000000000000000000:ETH"
DAY = 86_400


def day(n: int, hour: int = 12) -> int:
    """A UNIX timestamp (s) on day ``n`` after the genesis day."""
    return GENESIS_TIMESTAMP + n * DAY + hour * 3600


@dataclass
class Scene:
    node: EvmNode
    etherscan: EtherscanApi
    multicall3: str
    token: str
    alice: str
    bob: str
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def tusd(self) -> str:
        return f"{PLATFORM}:{self.token}:TUSD"

    def spec(self, *, explorer: bool = True, **options: Any) -> ConnectionSpec:
        return ConnectionSpec(
            id=CONNECTION_ID,
            extension_id="etherscan-connection",
            platform_id=PLATFORM,
            address=self.alice.lower(),
            api_key=KEY if explorer else None,
            options={
                "rpcUrls": [self.node.url],
                "explorerApiUrl": self.etherscan.url,
                "multicall3": self.multicall3,
                "confirmations": 0,  # the stand-in's explorer never lags
                **options,
            },
        )

    def fee(self, tx_hash: str) -> int:
        receipt = self.node.receipt(tx_hash)
        return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)

    def at(self, timestamp: int) -> "Scene":
        self.node.set_next_block_timestamp(timestamp)
        return self


@contextmanager
def wallet_scene() -> Iterator[Scene]:
    """Alice's history, one event a day from Jan 2 2024:

    1. the faucet sends her 2 ETH; 2. 1,000 TUSD are minted to her; 3. she sends Bob 0.5 ETH;
    4. she sends Bob 250 TUSD; 5. Bob sends her 100 TUSD, and the token contract pays her
    0.1 ETH internally in that transaction; 6. she tries to send 10,000 TUSD (reverts).
    """
    with EvmNode.start(chain_id=1) as node, EtherscanApi.start(node, api_key=KEY) as etherscan:
        multicall3 = node.deploy_multicall3()
        token = node.deploy_token("Test USD", "TUSD", 6)
        alice = node.new_account(wei=0)
        bob = node.new_account(wei=10**18)
        scene = Scene(node, etherscan, multicall3, token, alice, bob)
        hashes = scene.hashes
        hashes["fund"] = scene.at(day(1)).node.send_eth(node.faucet, alice, 2 * 10**18)
        hashes["mint"] = scene.at(day(2)).node.mint(token, alice, 1_000 * 10**6)
        node.mint(token, bob, 500 * 10**6)
        hashes["send_eth"] = scene.at(day(3)).node.send_eth(alice, bob, 5 * 10**17)
        hashes["send_tusd"] = scene.at(day(4)).node.transfer_token(token, alice, bob, 250 * 10**6)
        hashes["receive_tusd"] = scene.at(day(5)).node.transfer_token(token, bob, alice, 10**8)
        etherscan.add_internal_transaction(
            InternalTransaction(hashes["receive_tusd"], token, alice, 10**17)
        )
        hashes["failed"] = scene.at(day(6)).node.transfer_token(token, alice, bob, 10**10)
        yield scene


async def sync(source: EvmWalletSource, spec: ConnectionSpec, cursor: int) -> SyncResult:
    messages: list[str | None] = []

    def progress(percent: float | None, message: str | None) -> None:
        messages.append(message)

    return await source.sync(spec, cursor, progress)


def wire(result: SyncResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """The result's logs and transactions as wire objects keyed by id."""
    return (
        {log.id: log.to_wire() for log in result.logs},
        {tx.id: tx.to_wire() for tx in result.transactions},
    )
