"""The Etherscan v2 stand-in answers in Etherscan's shapes and agrees with the stand-in chain."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.standins.etherscan_api import EtherscanApi, InternalTransaction
from tests.standins.evm_chain import GENESIS_TIMESTAMP
from tests.standins.evm_node import EvmNode

KEY = "STANDINKEY"


@dataclass
class Scene:
    node: EvmNode
    etherscan: EtherscanApi
    alice: str
    bob: str
    token: str


@pytest.fixture
def scene() -> Iterator[Scene]:
    with EvmNode.start(chain_id=1) as node, EtherscanApi.start(node, api_key=KEY) as etherscan:
        alice = node.new_account(wei=10**18)  # block 1
        bob = node.new_account(wei=0)
        token = node.deploy_token("Test USD", "TUSD", 6)  # block 2
        node.mint(token, alice, 1_000_000)  # block 3
        node.transfer_token(token, alice, bob, 250_000)  # block 4
        node.send_eth(alice, bob, 10**17)  # block 5
        yield Scene(node, etherscan, alice.lower(), bob.lower(), token.lower())


async def get(scene: Scene, **params: Any) -> Any:
    query = {"chainid": "1", "module": "account", "apikey": KEY, **params}
    async with (
        aiohttp.ClientSession() as session,
        session.get(scene.etherscan.url, params={k: str(v) for k, v in query.items()}) as answer,
    ):
        assert answer.status == 200
        return await answer.json()


async def test_txlist_matches_the_chain_field_by_field(scene: Scene) -> None:
    node = scene.node
    answer = await get(scene, action="txlist", address=scene.bob, sort="asc")

    assert (answer["status"], answer["message"]) == ("1", "OK")
    assert [r["blockNumber"] for r in answer["result"]] == ["5"]
    record = answer["result"][0]
    tx = node.block(5)["transactions"][0]
    assert record == {
        "blockNumber": "5",
        "blockHash": tx["blockHash"],
        "timeStamp": str(GENESIS_TIMESTAMP + 5 * 12),
        "hash": tx["hash"],
        "nonce": "1",
        "transactionIndex": "0",
        "from": scene.alice,
        "to": scene.bob,
        "value": "100000000000000000",
        "gas": "21000",
        "gasPrice": str(int(node.block(5)["baseFeePerGas"], 16) + 10**9),
        "input": "0x",
        "methodId": "0x",
        "functionName": "",
        "contractAddress": "",
        "cumulativeGasUsed": "21000",
        "txreceipt_status": "1",
        "gasUsed": "21000",
        "confirmations": "1",
        "isError": "0",
    }


async def test_txlist_of_the_deployer_shows_creation_and_calls(scene: Scene) -> None:
    faucet = scene.node.faucet.lower()
    answer = await get(scene, action="txlist", address=faucet, sort="desc")

    rows = [
        (r["blockNumber"], r["to"], r["contractAddress"], r["functionName"])
        for r in answer["result"]
    ]
    assert rows == [
        ("3", scene.token, "", "mint(address to, uint256 amount)"),
        ("2", "", scene.token, ""),
        ("1", scene.alice, "", ""),
    ]
    assert answer["result"][1]["methodId"] == "0x60a06040"


async def test_tokentx_lists_transfers_with_token_metadata(scene: Scene) -> None:
    answer = await get(
        scene, action="tokentx", address=scene.alice, startblock=0, endblock=99999999
    )

    assert answer["status"] == "1"
    rows = [(r["blockNumber"], r["from"], r["to"], r["value"]) for r in answer["result"]]
    assert rows == [
        ("3", "0x" + "0" * 40, scene.alice, "1000000"),
        ("4", scene.alice, scene.bob, "250000"),
    ]
    transfer = answer["result"][1]
    assert {
        k: transfer[k] for k in ("contractAddress", "tokenName", "tokenSymbol", "tokenDecimal")
    } == {
        "contractAddress": scene.token,
        "tokenName": "Test USD",
        "tokenSymbol": "TUSD",
        "tokenDecimal": "6",
    }
    assert transfer["functionName"] == "transfer(address to, uint256 amount)"
    assert transfer["input"] == "deprecated"
    assert transfer["hash"] == scene.node.block(4)["transactions"][0]["hash"]


async def test_block_range_pagination_and_sorting(scene: Scene) -> None:
    ranged = await get(scene, action="txlist", address=scene.alice, startblock=2, endblock=4)
    first = await get(scene, action="txlist", address=scene.alice, page=1, offset=2, sort="desc")
    second = await get(scene, action="txlist", address=scene.alice, page=2, offset=2, sort="desc")
    beyond = await get(scene, action="txlist", address=scene.alice, page=3, offset=2)
    too_deep = await get(scene, action="txlist", address=scene.alice, page=2, offset=5_001)

    assert [r["blockNumber"] for r in ranged["result"]] == ["4"]  # alice sent nothing in 2..3
    assert [r["blockNumber"] for r in first["result"]] == ["5", "4"]
    assert [r["blockNumber"] for r in second["result"]] == ["1"]
    assert beyond == {"status": "0", "message": "No transactions found", "result": []}
    assert too_deep == {
        "status": "0",
        "message": "NOTOK",
        "result": "Result window is too large, PageNo x Offset size must be less than or equal to "
        "10000",
    }


async def test_balance_agrees_with_the_node(scene: Scene) -> None:
    answer = await get(scene, action="balance", address=scene.bob, tag="latest")

    assert answer == {"status": "1", "message": "OK", "result": "100000000000000000"}


async def test_internal_transactions_come_from_registrations(scene: Scene) -> None:
    tx_hash = scene.node.block(4)["transactions"][0]["hash"]
    scene.etherscan.add_internal_transaction(
        InternalTransaction(tx_hash, scene.token, scene.bob, 7, trace_id="0_1")
    )

    answer = await get(scene, action="txlistinternal", address=scene.bob)

    assert answer["result"] == [
        {
            "blockNumber": "4",
            "timeStamp": str(GENESIS_TIMESTAMP + 4 * 12),
            "hash": tx_hash,
            "from": scene.token,
            "to": scene.bob,
            "value": "7",
            "contractAddress": "",
            "input": "",
            "type": "call",
            "gas": "2300",
            "gasUsed": "0",
            "traceId": "0_1",
            "isError": "0",
            "errCode": "",
        }
    ]
    assert await get(scene, action="txlistinternal", address=scene.alice) == {
        "status": "0",
        "message": "No transactions found",
        "result": [],
    }


async def test_refusals_have_etherscan_shapes(scene: Scene) -> None:
    scene.etherscan.rate_limit_next(1)
    limited = await get(scene, action="txlist", address=scene.bob)
    wrong_key = await get(scene, action="txlist", address=scene.bob, apikey="WRONG")
    wrong_chain = await get(scene, action="txlist", address=scene.bob, chainid="137")
    bad_address = await get(scene, action="txlist", address="0x1234")

    assert limited == {"status": "0", "message": "NOTOK", "result": "Max rate limit reached"}
    assert wrong_key == {"status": "0", "message": "NOTOK", "result": "Invalid API Key"}
    assert wrong_chain["result"].startswith("Missing or unsupported chainid parameter")
    assert bad_address == {
        "status": "0",
        "message": "NOTOK",
        "result": "Error! Invalid address format",
    }
    assert (await get(scene, action="txlist", address=scene.bob))["status"] == "1"
    assert len(scene.etherscan.requests()) == 5


async def test_calls_per_second_limit(scene: Scene) -> None:
    with EtherscanApi.start(scene.node, api_key=KEY, calls_per_second=2) as limited:
        scene.etherscan = limited
        answers = [await get(scene, action="balance", address=scene.bob) for _ in range(3)]

    assert [a["message"] for a in answers] == ["OK", "OK", "NOTOK"]
    assert answers[2]["result"] == "Max rate limit reached"
