"""Removing a file import that a merged transaction stands for in part: the other imports get
their own transactions back (merged again where two remain), and importing it again gives the
merged ledger the account had before."""

from typing import Any

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task
from tests.api.test_merge_keeps_tags import ERC20, ETHEREUM, NORMAL, USER

HASH = "0x" + "cd" * 32
ROUTER = "0x7a250d5630b4cf539739df2c5dacb4c659f2488d"
LOOM = "0xa4e8c3ec456107ea67d3075bf9e3df3a75823db0"
ETH_ID = "chain.ethereum:0x0000000000000000000000000000000000000000:ETH"
LOOM_ID = "chain.ethereum:0xA4e8C3Ec456107eA67d3075bF9e3DF3A75823DB0:LOOM"
#: A sale of 10 LOOM for 0.05 ETH through a router: the call (its fee only), the token sent and
#: the ETH received, one file each.
CALL = NORMAL.splitlines()[0] + (
    f'\n"{HASH}","5255200","1521052300","2018-03-14 18:31:40","{USER}","{ROUTER}","","0",'
    '"0","0","0.0002","0.12","613.15","","","Swap Exact Tokens For ETH"\n'
)
TOKEN_SENT = ERC20.splitlines()[0] + (
    f'\n"{HASH}","5255200","1521052300","2018-03-14 18:31:40","{USER}","{ROUTER}","10",'
    f'"$0.79","{LOOM}","Loom","LOOM"\n'
)
ETH_RECEIVED = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","ParentTxFrom","ParentTxTo",'
    '"ParentTxETH_Value","From","TxTo","ContractAddress","Value_IN(ETH)","Value_OUT(ETH)",'
    '"CurrentValue","Historical $Price/Eth","Status","ErrCode","Type"\n'
    f'"{HASH}","5255200","1521052300","2018-03-14 18:31:40","{USER}","{ROUTER}","0",'
    f'"{ROUTER}","{USER}","","0.05","0","100","613.15","0","","call"\n'
)
SALE = {"call.csv": CALL, "token.csv": TOKEN_SENT, "internal.csv": ETH_RECEIVED}


async def imported(daemon: Daemon, client: DaemonClient, files: dict[str, str]) -> dict[str, str]:
    """Import each file, then merge; returns the file import id of each file."""
    ids: dict[str, str] = {}
    for name, text in files.items():
        context = ETHEREUM | {"userAddress": USER}
        task = await import_file(daemon, client, name, text.encode(), context=context)
        assert task["status"] == "completed", task
    for record in await client.call("getFileImports", "main"):
        ids[record["name"]] = record["id"]
    await merge(client)
    return ids


async def merge(client: DaemonClient) -> None:
    task = await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))
    assert task["status"] == "completed", task


async def remove(client: DaemonClient, file_import_id: str) -> None:
    task_id = await client.call("enqueueRemoveFileImport", "main", "user", file_import_id)
    assert (await wait_for_task(client, task_id))["status"] == "completed"


async def ledger(client: DaemonClient) -> tuple[list[Any], list[Any]]:
    """The transactions and logs, the logs without the balances a refresh may not have filled in
    yet."""
    transactions = await client.call("getTransactions", "main")
    logs = [
        {key: value for key, value in log.items() if not key.startswith("balance")}
        for log in await client.call("getAuditLogs", "main")
    ]
    return sorted(transactions, key=lambda tx: tx["id"]), sorted(logs, key=lambda log: log["id"])


def operations(logs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(log["txId"], log["assetId"], log["operation"]) for log in logs]


async def test_removing_the_import_that_named_the_merge_gives_the_other_its_transaction_back(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    task = await import_file(daemon, client, "normal.csv", NORMAL.encode(), context=ETHEREUM)
    assert task["status"] == "completed", task
    [normal] = await client.call("getTransactions", "main")
    normal_logs = (await ledger(client))[1]
    context = ETHEREUM | {"userAddress": USER}
    task = await import_file(daemon, client, "erc20.csv", ERC20.encode(), context=context)
    assert task["status"] == "completed", task
    await merge(client)
    [merged] = await client.call("getTransactions", "main")
    await client.call("assignTagToTransaction", "main", merged["id"], "reviewed")
    erc20_import = next(
        record["id"]
        for record in await client.call("getFileImports", "main")
        if record["name"] == "erc20.csv"
    )
    assert merged["id"] == f"{erc20_import}_{merged['metadata']['txHash']}_MERGED"

    await remove(client, erc20_import)

    assert await ledger(client) == ([normal], normal_logs)
    assert [log["operation"] for log in normal_logs] == ["Fee", "Withdraw"]
    reviewed = [{"id": 1, "name": "reviewed"}]
    assert await client.call("getTagsForTransaction", "main", normal["id"]) == reviewed
    trades = await client.call("enqueueRefreshTrades", "main", "user")
    assert (await wait_for_task(client, trades))["status"] == "completed"


async def test_removing_one_of_three_merges_the_other_two_and_importing_it_again_restores_all(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    ids = await imported(daemon, client, SALE)
    before = await ledger(client)
    [sale] = before[0]
    assert (sale["id"], sale["type"]) == (f"{ids['token.csv']}_{HASH}_MERGED", "Swap")
    assert (sale["outgoing"], sale["incoming"], sale["fee"]) == ("10", "0.05", "-0.0002")
    assert sorted(operations(before[1])) == [
        (sale["id"], ETH_ID, "Buy"),
        (sale["id"], ETH_ID, "Fee"),
        (sale["id"], LOOM_ID, "Sell"),
    ]

    await remove(client, ids["token.csv"])

    transactions, logs = await ledger(client)
    [rest] = transactions
    assert rest["id"] == f"{ids['internal.csv']}_{HASH}_MERGED"
    assert (rest.get("outgoing"), rest["incoming"], rest["fee"]) == (None, "0.05", "-0.0002")
    assert sorted(operations(logs)) == [
        (rest["id"], ETH_ID, "Deposit"),
        (rest["id"], ETH_ID, "Fee"),
    ]

    task = await import_file(
        daemon, client, "token.csv", TOKEN_SENT.encode(), context=ETHEREUM | {"userAddress": USER}
    )
    assert task["status"] == "completed", task
    await merge(client)

    assert await ledger(client) == before


async def test_removing_a_member_import_leaves_no_amount_of_it_in_the_merge(
    daemon: Daemon, client: DaemonClient
) -> None:
    await client.call("createAccount", "main")
    ids = await imported(daemon, client, SALE)
    before = await ledger(client)

    await remove(client, ids["internal.csv"])
    [rest] = (await ledger(client))[0]
    assert (rest["outgoing"], rest.get("incoming"), rest["fee"]) == ("10", None, "-0.0002")
    assert rest["id"] == f"{ids['token.csv']}_{HASH}_MERGED"

    await remove(client, ids["call.csv"])
    [token], logs = await ledger(client)
    assert token["id"].startswith(f"{ids['token.csv']}_{HASH}_ERC20_")
    assert operations(logs) == [(token["id"], LOOM_ID, "Withdraw")]

    for name in ("call.csv", "internal.csv"):
        context = ETHEREUM | {"userAddress": USER}
        task = await import_file(daemon, client, name, SALE[name].encode(), context=context)
        assert task["status"] == "completed", task
    await merge(client)
    assert await ledger(client) == before
