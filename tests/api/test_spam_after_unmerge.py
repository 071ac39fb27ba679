"""Removing the import a merge stood for in part gives the other import its transactions back,
and they are checked for spam again, as after their own import: the ledger and its spam tags
are those of the other import alone."""

import asyncio

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
SWAP_HASH = "0x" + "01" * 32
ERC20 = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
    '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"\n'
    f'"{SWAP_HASH}","1","1600000000","2020-09-13 12:26:40",'
    f'"0x7a250d5630b4cf539739df2c5dacb4c659f2488d","{USER}","100","N/A",'
    '"0x2222222222222222222222222222222222222222","Token A","TOKA"\n'
)
NORMAL = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $2527.36/Eth","TxnFee(ETH)",'
    '"TxnFee(USD)","Historical $Price/Eth","Status","ErrCode","Method"\n'
    f'"{SWAP_HASH}","1","1600000000","2020-09-13 12:26:40","{USER}",'
    '"0x7a250d5630b4cf539739df2c5dacb4c659f2488d","","0","1","0","0.01","0","0","","",'
    '"Swap Exact ETH For Tokens"\n'
)


async def settled_after(client: DaemonClient, task_id: int) -> None:
    """Until a spam pass queued after task ``task_id`` ran, and every task has ended for a while
    (a chain's own changes may set off another one)."""
    quiet_since = None
    loop = asyncio.get_running_loop()
    for _ in range(600):
        tasks = await client.call("getServerTasks", "main")
        passed = any(
            task["name"] == "Detect spam transactions" and task["id"] > task_id for task in tasks
        )
        if passed and all(task["status"] not in ("queued", "running") for task in tasks):
            quiet_since = quiet_since or loop.time()
            if loop.time() - quiet_since > 1.0:
                return
        else:
            quiet_since = None
        await asyncio.sleep(0.05)
    raise AssertionError(f"no spam pass ran after task {task_id}")


async def spam_tagged(client: DaemonClient) -> list[str]:
    return [tx["type"] for tx in await client.call("getTransactions", "main", {"tag": "spam"})]


async def test_a_transaction_a_removed_merge_gives_back_is_checked_for_spam(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    erc20_context = {"platform": "chain.ethereum", "userAddress": USER}
    erc20 = await import_file(daemon, client, "erc20.csv", ERC20.encode(), context=erc20_context)
    await settled_after(client, erc20["id"])
    assert await spam_tagged(client) == ["Deposit"]  # an unlisted token, no fee paid

    normal = await import_file(
        daemon, client, "normal.csv", NORMAL.encode(), context={"platform": "chain.ethereum"}
    )
    await settled_after(client, normal["id"])
    assert [tx["type"] for tx in await client.call("getTransactions", "main")] == ["Swap"]
    assert await spam_tagged(client) == []  # the user paid the swap's fee

    [file_import] = [
        item for item in await client.call("getFileImports", "main") if item["name"] == "normal.csv"
    ]
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", file_import["id"])
    assert (await wait_for_task(client, task_id))["status"] == "completed"
    await settled_after(client, task_id)

    assert await spam_tagged(client) == ["Deposit"]


ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
OTHERS_HASH = "0x" + "09" * 32
INTERNAL_IN = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","ParentTxFrom","ParentTxTo",'
    '"ParentTxETH_Value","From","TxTo","ContractAddress","Value_IN(ETH)","Value_OUT(ETH)",'
    '"CurrentValue @ $2527.36/Eth","Historical $Price/Eth","Status","ErrCode","Type"\n'
    f'"{OTHERS_HASH}","1","1620000000","2021-05-03 00:00:00",'
    f'"0x7777777777777777777777777777777777777777","{ROUTER}","0","{ROUTER}","{USER}","",'
    '"0.3","0","0","0","0","","call"\n'
)
ERC20_OUT = (
    ERC20.split("\n")[0] + "\n"
    f'"{OTHERS_HASH}","1","1620000000","2021-05-03 00:00:00","{USER}","{ROUTER}","10","N/A",'
    '"0x9999999999999999999999999999999999999990","Junk","JUNK"\n'
)


@pytest.mark.parametrize("erc20_first", [False, True])
async def test_a_merge_is_spam_only_if_it_looks_so_itself_whatever_the_order(
    client: DaemonClient, daemon: Daemon, erc20_first: bool
) -> None:
    """Someone else's swap (no fee) of an unlisted token for ETH: alone, the token's side looks
    like spam, but the merged swap brings in ETH, which is listed."""
    await client.call("createAccount", "main")
    files = [
        ("internal.csv", INTERNAL_IN, {"platform": "chain.ethereum"}),
        ("erc20.csv", ERC20_OUT, {"platform": "chain.ethereum", "userAddress": USER}),
    ]
    for name, text, context in reversed(files) if erc20_first else files:
        task = await import_file(daemon, client, name, text.encode(), context=context)
        await settled_after(client, task["id"])

    assert [tx["type"] for tx in await client.call("getTransactions", "main")] == ["Swap"]
    assert await spam_tagged(client) == []
