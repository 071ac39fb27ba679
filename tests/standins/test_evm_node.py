"""The EVM stand-in, exercised through the real web3 client and raw JSON-RPC over HTTP."""

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from eth_abi.abi import decode
from eth_account import Account
from hexbytes import HexBytes
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError, Web3RPCError

from tests.standins.evm_chain import GENESIS_TIMESTAMP, call_data, load_artifact
from tests.standins.evm_node import EvmNode

REVERT_DATA = (
    "0x08c379a0"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "000000000000000000000000000000000000000000000000000000000000001b"
    "45524332303a20696e73756666696369656e742062616c616e63650000000000"
)


@pytest.fixture
def node() -> Iterator[EvmNode]:
    with EvmNode.start(chain_id=1) as running:
        yield running


@pytest.fixture
async def w3(node: EvmNode) -> AsyncIterator[AsyncWeb3[Any]]:
    provider = AsyncHTTPProvider(node.url, exception_retry_configuration=None)
    yield AsyncWeb3(provider)
    await provider.disconnect()


async def rpc(node: EvmNode, payload: Any) -> Any:
    async with aiohttp.ClientSession() as session, session.post(node.url, json=payload) as answer:
        return await answer.json()


async def test_chain_id_balances_and_block_times(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    alice = node.new_account(wei=10**18)
    bob = node.new_account(wei=0)
    node.set_next_block_timestamp(GENESIS_TIMESTAMP + 86_400)
    node.send_eth(alice, bob, 2 * 10**17)

    assert await w3.eth.chain_id == 1
    assert await w3.eth.block_number == 2
    assert await w3.eth.get_balance(bob) == 2 * 10**17
    assert await w3.eth.get_balance(alice, block_identifier=1) == 10**18
    assert (await w3.eth.get_block(1))["timestamp"] == GENESIS_TIMESTAMP + 12
    assert (await w3.eth.get_block(2))["timestamp"] == GENESIS_TIMESTAMP + 86_400
    node.mine_blocks(2)
    assert (await w3.eth.get_block("latest"))["timestamp"] == GENESIS_TIMESTAMP + 86_424


async def test_token_deployed_minted_and_transferred(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    alice, bob = node.new_account(), node.new_account(wei=0)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 5_000_000)
    node.transfer_token(address, alice, bob, 1_250_000)
    token = w3.eth.contract(address=address, abi=load_artifact("TestToken").abi)

    assert await token.functions.name().call() == "Test USD"
    assert await token.functions.symbol().call() == "TUSD"
    assert await token.functions.decimals().call() == 6
    assert await token.functions.totalSupply().call() == 5_000_000
    assert await token.functions.balanceOf(alice).call() == 3_750_000
    assert await token.functions.balanceOf(bob).call() == 1_250_000
    assert node.token_balance(address, bob) == 1_250_000


async def test_aggregate3_returns_several_balances_in_one_call(
    node: EvmNode, w3: AsyncWeb3[Any]
) -> None:
    alice, bob = node.new_account(wei=3 * 10**18), node.new_account(wei=0)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 700)
    node.mint(address, bob, 42)
    multicall = w3.eth.contract(
        address=node.deploy_multicall3(), abi=load_artifact("Multicall3").abi
    )
    balance_of = [call_data("balanceOf(address)", ["address"], [who]) for who in (alice, bob)]
    eth_balance = call_data("getEthBalance(address)", ["address"], [alice])
    calls = [(address, False, data) for data in balance_of]
    calls.append((multicall.address, False, eth_balance))
    calls.append((bob, True, b"\x01"))  # a call to an account without code succeeds, empty

    results = await multicall.functions.aggregate3(calls).call()

    assert [(ok, decode(["uint256"], data)[0]) for ok, data in results[:3]] == [
        (True, 700),
        (True, 42),
        (True, 3 * 10**18),
    ]
    assert results[3] == (True, b"")
    assert await multicall.functions.getBlockNumber().call() == node.block_number()
    calls_served = [methods for methods in node.requests() if methods != ["eth_chainId"]]
    assert calls_served == [["eth_call"], ["eth_call"]]  # web3 also asks for the chain id


async def test_aggregate3_reverts_when_a_required_call_fails(
    node: EvmNode, w3: AsyncWeb3[Any]
) -> None:
    address = node.deploy_token("Test USD", "TUSD", 6)
    multicall = w3.eth.contract(
        address=node.deploy_multicall3(), abi=load_artifact("Multicall3").abi
    )
    failing = call_data("transfer(address,uint256)", ["address", "uint256"], [address, 1])

    with pytest.raises(ContractLogicError) as raised:
        await multicall.functions.aggregate3([(address, False, failing)]).call()
    assert raised.value.message == "execution reverted: Multicall3: call failed"

    results = await multicall.functions.aggregate3([(address, True, failing)]).call()
    assert results[0][0] is False
    assert decode(["string"], results[0][1][4:]) == ("ERC20: insufficient balance",)


async def test_batch_request_is_one_http_request(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    alice = node.new_account(wei=5 * 10**18)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 99)
    token = w3.eth.contract(address=address, abi=load_artifact("TestToken").abi)

    async with w3.batch_requests() as batch:
        batch.add(w3.eth.get_balance(alice))
        batch.add(w3.eth.get_block_number())
        batch.add(token.functions.balanceOf(alice))
        results: list[Any] = await batch.async_execute()

    assert results == [5 * 10**18, 3, 99]
    assert node.requests()[-1] == ["eth_getBalance", "eth_blockNumber", "eth_call"]


async def test_revert_surfaces_as_contract_logic_error(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    alice, bob = node.new_account(), node.new_account(wei=0)
    token = w3.eth.contract(
        address=node.deploy_token("Test USD", "TUSD", 6), abi=load_artifact("TestToken").abi
    )

    with pytest.raises(ContractLogicError) as raised:
        await token.functions.transfer(bob, 5).call({"from": alice})
    assert raised.value.message == "execution reverted: ERC20: insufficient balance"
    assert raised.value.data == REVERT_DATA
    with pytest.raises(ContractLogicError, match="ERC20: insufficient balance"):
        await token.functions.transfer(bob, 5).estimate_gas({"from": alice})


async def test_revert_wire_format_matches_geth(node: EvmNode) -> None:
    alice = node.new_account()
    address = node.deploy_token("Test USD", "TUSD", 6)
    data = call_data("transfer(address,uint256)", ["address", "uint256"], [alice, 1])
    call = {"from": alice, "to": address, "data": "0x" + data.hex()}

    answer = await rpc(node, {"jsonrpc": "2.0", "id": 7, "method": "eth_call", "params": [call]})

    assert answer == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {
            "code": 3,
            "message": "execution reverted: ERC20: insufficient balance",
            "data": REVERT_DATA,
        },
    }


async def test_json_rpc_errors_and_batches_on_the_wire(node: EvmNode) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": "a", "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_foo", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBlockByNumber", "params": ["0x99", False]},
    ]

    assert await rpc(node, batch) == [
        {"jsonrpc": "2.0", "id": "a", "result": "0x1"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "error": {
                "code": -32601,
                "message": "the method eth_foo does not exist/is not available",
            },
        },
        {"jsonrpc": "2.0", "id": 3, "result": None},
    ]
    assert await rpc(node, []) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "empty batch"},
    }


async def test_get_logs_limits_answer_like_a_hosted_node(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    alice, bob = node.new_account(), node.new_account(wei=0)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 1_000)  # block 3
    for _ in range(4):
        node.transfer_token(address, alice, bob, 1)  # blocks 4..7
    token = w3.eth.contract(address=address, abi=load_artifact("TestToken").abi)
    node.limit_logs(max_block_range=5, max_results=3)

    with pytest.raises(Web3RPCError) as too_wide:
        await token.events.Transfer().get_logs(from_block=2, to_block=7)
    assert (too_wide.value.rpc_response or {}).get("error") == {
        "code": -32602,
        "message": "range 6 exceeds limit of 5",
    }
    with pytest.raises(Web3RPCError) as too_many:
        await token.events.Transfer().get_logs(from_block=3, to_block=7)
    assert (too_many.value.rpc_response or {}).get("error") == {
        "code": -32005,
        "message": "query returned more than 3 results",
        "data": {"from": "0x3", "to": "0x5", "limit": 3},
    }
    logs = await token.events.Transfer().get_logs(from_block=5, to_block=7)
    assert [(log["blockNumber"], log["args"]["value"]) for log in logs] == [(5, 1), (6, 1), (7, 1)]


async def test_failures_on_demand_then_recovery(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    node.fail_next_requests(2, status=429)

    for _ in range(2):
        with pytest.raises(aiohttp.ClientResponseError) as refused:
            await w3.eth.get_block_number()
        assert refused.value.status == 429
    assert await w3.eth.get_block_number() == 0
    assert node.requests() == [["eth_blockNumber"]]


async def test_signed_raw_transaction_and_single_block(node: EvmNode, w3: AsyncWeb3[Any]) -> None:
    signer = Account.from_key("0x" + "11" * 32)
    alice, bob = node.new_account(), node.new_account(wei=0)
    node.send_eth(alice, signer.address, 10**18)
    fee = {"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9, "chainId": 1}
    raw = signer.sign_transaction({"to": bob, "value": 5, "gas": 21_000, "nonce": 0, **fee})

    tx_hash = await w3.eth.send_raw_transaction(raw.raw_transaction)

    receipt = await w3.eth.get_transaction_receipt(tx_hash)
    assert (receipt["status"], receipt["blockNumber"]) == (1, 3)
    assert await w3.eth.get_balance(bob) == 5
    with node.single_block():
        hashes = [node.send_eth(alice, bob, n) for n in (1, 2, 3)]
    block = await w3.eth.get_block("latest")
    assert block["transactions"] == [HexBytes(tx_hash) for tx_hash in hashes]
    assert await w3.eth.get_balance(bob) == 11


async def test_benchmark_thousand_transfers_and_their_logs(
    node: EvmNode, w3: AsyncWeb3[Any]
) -> None:
    alice, bob = node.new_account(), node.new_account(wei=0)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 10**9)
    started = time.perf_counter()
    for n in range(1_000):
        node.transfer_token(address, alice, bob, n + 1)
    created = time.perf_counter() - started

    started = time.perf_counter()
    logs = await w3.eth.get_logs(
        {"address": address, "fromBlock": 0, "toBlock": "latest", "topics": [None, None]}
    )
    fetched = time.perf_counter() - started

    print(f"\n1,000 token transfers (one block each): {created:.2f} s; eth_getLogs {fetched:.2f} s")
    assert len(logs) == 1_001
    assert node.token_balance(address, bob) == 500_500
    assert fetched < 5


async def test_logs_are_indexed_per_block_on_the_wire(node: EvmNode) -> None:
    alice, bob = node.new_account(), node.new_account(wei=0)
    address = node.deploy_token("Test USD", "TUSD", 6)
    node.mint(address, alice, 100)
    with node.single_block():
        hashes = [node.transfer_token(address, alice, bob, n) for n in (1, 2, 3)]
    query = {"address": address.lower(), "fromBlock": "0x4", "toBlock": "latest"}

    answer = await rpc(
        node, {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [query]}
    )
    block = await rpc(
        node,
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getBlockByNumber", "params": ["0x4", False]},
    )

    logs = answer["result"]
    assert [(log["transactionHash"], log["transactionIndex"], log["logIndex"]) for log in logs] == [
        (hashes[0], "0x0", "0x0"),
        (hashes[1], "0x1", "0x1"),
        (hashes[2], "0x2", "0x2"),
    ]
    assert [log["data"][-2:] for log in logs] == ["01", "02", "03"]
    assert {log["blockHash"] for log in logs} == {block["result"]["hash"]}
    assert block["result"]["transactions"] == hashes
    assert block["result"]["timestamp"] == hex(GENESIS_TIMESTAMP + 4 * 12)
    assert block["result"]["miner"] == "0x" + "0" * 40
