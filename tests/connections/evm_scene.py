"""A wallet on the local chain with ETH and a test ERC-20 moving over several days."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from privatefolio_daemon.domain.hashing import string_hash
from tests.standins.etherscan_api import EtherscanApi
from tests.standins.evm_chain import GENESIS_TIMESTAMP
from tests.standins.evm_node import EvmNode

EXPLORER_KEY = "EXPLORERKEY7d1c0e9a5b3f"
RPC_KEY = "rpckey0f9e8d7c6b5a4"
PLATFORM = "chain.ethereum"
ETH = f"{PLATFORM}:0x0000000000000000000000000000000000000000:ETH"
DAY_S = 86_400


def day(n: int, hour: int = 12) -> int:
    """A UNIX time (s) on day ``n`` after the chain's genesis day."""
    return GENESIS_TIMESTAMP + n * DAY_S + hour * 3600


def ether(wei: int) -> str:
    return format((Decimal(wei) / 10**18).normalize(), "f")


@dataclass
class WalletScene:
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

    @property
    def rpc_url(self) -> str:
        """The node's URL with a key in its path, as hosted RPC providers hand them out."""
        return f"{self.node.url}v3/{RPC_KEY}"

    @property
    def connection_id(self) -> str:
        return string_hash(f"etherscan-connection_{PLATFORM}_{self.alice.lower()}")

    def new_connection(self) -> dict[str, Any]:
        return {
            "extensionId": "etherscan-connection",
            "platformId": PLATFORM,
            "address": self.alice.lower(),
            "apiKey": EXPLORER_KEY,
            "options": {
                "rpcUrls": [self.rpc_url],
                "explorerApiUrl": self.etherscan.url,
                "multicall3": self.multicall3,
                "confirmations": 0,  # the stand-in's explorer never lags
            },
        }

    def at(self, unix_time: int) -> EvmNode:
        self.node.set_next_block_timestamp(unix_time)
        return self.node

    def fee(self, name: str) -> str:
        receipt = self.node.receipt(self.hashes[name])
        return "-" + ether(int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16))

    def chain_balances(self) -> dict[str, str]:
        """Alice's balances at the head, read from the chain, as decimal strings."""
        tokens = Decimal(self.node.token_balance(self.token, self.alice)) / 10**6
        return {ETH: ether(self.node.balance(self.alice)), self.tusd: format(tokens, "f")}

    def make_first_history(self) -> None:
        """Day 1: 3 ETH arrive; 2: 1,000 TUSD are minted to her; 3: she sends Bob 0.25 ETH;
        4: she sends Bob 200 TUSD; 5: Bob sends her 50 TUSD."""
        h, token, alice, bob = self.hashes, self.token, self.alice, self.bob
        h["fund"] = self.at(day(1)).send_eth(self.node.faucet, alice, 3 * 10**18)
        h["mint"] = self.at(day(2)).mint(token, alice, 1_000 * 10**6)
        h["send_eth"] = self.at(day(3)).send_eth(alice, bob, 25 * 10**16)
        h["send_tusd"] = self.at(day(4)).transfer_token(token, alice, bob, 200 * 10**6)
        h["receive_tusd"] = self.at(day(5)).transfer_token(token, bob, alice, 50 * 10**6)

    def make_later_history(self) -> None:
        """Day 8: Bob sends her 0.1 ETH; 9: she sends Bob 10 TUSD."""
        h = self.hashes
        h["receive_eth"] = self.at(day(8)).send_eth(self.bob, self.alice, 10**17)
        h["send_tusd_2"] = self.at(day(9)).transfer_token(self.token, self.alice, self.bob, 10**7)


@contextmanager
def wallet_scene() -> Iterator[WalletScene]:
    with (
        EvmNode.start(chain_id=1) as node,
        EtherscanApi.start(node, api_key=EXPLORER_KEY) as etherscan,
    ):
        multicall3 = node.deploy_multicall3()
        token = node.deploy_token("Test USD", "TUSD", 6)
        alice = node.new_account(wei=0)
        bob = node.new_account(wei=10**18)
        node.mint(token, bob, 500 * 10**6)
        yield WalletScene(node, etherscan, multicall3, token, alice, bob)
