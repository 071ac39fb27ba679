"""Current balances come from one Multicall3 ``aggregate3`` call, halving when it is too large."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from privatefolio_daemon.sources.connection_source import ConnectionSpec
from privatefolio_daemon.sources.evm.verify import BalanceDifference
from privatefolio_daemon.sources.evm.wallet_source import EvmWalletSource
from tests.standins.evm_node import EvmNode

PLATFORM = "chain.ethereum"
ETH = f"{PLATFORM}:0x0000000000000000000000000000000000000000:ETH"
NO_CODE = "0x000000000000000000000000000000000000dEaD"
TOKENS = 7


@dataclass
class Holdings:
    node: EvmNode
    multicall3: str
    holder: str
    asset_ids: list[str]

    def spec(self, **options: object) -> ConnectionSpec:
        return ConnectionSpec(
            id="1",
            extension_id="etherscan-connection",
            platform_id=PLATFORM,
            address=self.holder,
            options={"rpcUrls": [self.node.url], "multicall3": self.multicall3, **options},
        )

    def eth_calls(self) -> list[list[str]]:
        return [r for r in self.node.requests() if "eth_call" in r]


@pytest.fixture
def holdings() -> Iterator[Holdings]:
    """A holder with 1.25 ETH and token Tn (n decimals + 2) holding n + 1 whole tokens."""
    with EvmNode.start() as node:
        multicall3 = node.deploy_multicall3()
        holder = node.new_account(wei=125 * 10**16)
        asset_ids = []
        for n in range(TOKENS):
            token = node.deploy_token(f"Token {n}", f"T{n}", n + 2)
            node.mint(token, holder, (n + 1) * 10 ** (n + 2))
            asset_ids.append(f"{PLATFORM}:{token}:T{n}")
        yield Holdings(node, multicall3, holder, asset_ids)


def expected(holdings: Holdings) -> dict[str, str]:
    node, holder = holdings.node, holdings.holder
    answer = {ETH: format(Decimal(node.balance(holder)) / 10**18, "f")}
    for n, asset_id in enumerate(holdings.asset_ids):
        token = asset_id.split(":")[1]
        raw = node.token_balance(token, holder)
        assert raw == (n + 1) * 10 ** (n + 2)
        answer[asset_id] = str(n + 1)
    return answer


async def test_balances_at_head_come_from_a_single_aggregate3_call(
    holdings: Holdings, source: EvmWalletSource
) -> None:
    await source.balances(holdings.spec(), holdings.asset_ids)  # learns symbols and decimals
    before = len(holdings.eth_calls())

    balances = await source.balances(holdings.spec(), holdings.asset_ids)

    assert balances == expected(holdings)
    assert balances[ETH] == "1.25"
    assert len(holdings.eth_calls()) - before == 1


async def test_a_small_batch_size_splits_the_calls(
    holdings: Holdings, source: EvmWalletSource
) -> None:
    await source.balances(holdings.spec(), holdings.asset_ids)
    before = len(holdings.eth_calls())

    balances = await source.balances(holdings.spec(multicallBatchSize=3), holdings.asset_ids)

    assert balances == expected(holdings)
    assert len(holdings.eth_calls()) - before == 3  # 8 calls in batches of 3, 3 and 2


async def test_an_out_of_gas_batch_is_halved_until_it_fits(
    holdings: Holdings, source: EvmWalletSource
) -> None:
    await source.balances(holdings.spec(), holdings.asset_ids)
    before = len(holdings.eth_calls())

    balances = await source.balances(holdings.spec(callGasLimit=45_000), holdings.asset_ids)

    assert balances == expected(holdings)
    # 8 calls fail, then 4 + 4 fail, then four batches of 2 fit: 1 + 2 + 4 requests.
    assert len(holdings.eth_calls()) - before == 7


async def test_without_multicall3_code_plain_calls_are_used(
    holdings: Holdings, source: EvmWalletSource
) -> None:
    await source.balances(holdings.spec(multicall3=NO_CODE), holdings.asset_ids)
    before = len(holdings.node.requests())

    balances = await source.balances(holdings.spec(multicall3=NO_CODE), holdings.asset_ids)

    assert balances == expected(holdings)
    methods = sorted(m for r in holdings.node.requests()[before:] for m in r)
    assert methods == sorted(
        ["eth_blockNumber", "eth_getCode", "eth_getBalance", *["eth_call"] * TOKENS]
    )


async def test_verify_reports_the_assets_whose_computed_balance_differs(
    holdings: Holdings, source: EvmWalletSource
) -> None:
    computed = {ETH: "1", holdings.asset_ids[0]: "1", "chain.base:0xabc:X": "5"}

    differences = await source.verify_balances(holdings.spec(), computed)

    assert differences == [BalanceDifference(ETH, "1", "1.25", "0.25")]
    assert differences[0].to_wire() == {
        "assetId": ETH,
        "computed": "1",
        "onChain": "1.25",
        "difference": "0.25",
    }
