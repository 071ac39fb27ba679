"""Auto-merge deletes the transactions it merges; their tags move to the merged transaction."""

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.importing import import_file, wait_for_task

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
PEER = "0xf652d990e50af27d8d423ac80631b4f5ef6d4113"
LOOM = "0xa4e8c3ec456107ea67d3075bf9e3df3a75823db0"
TX_HASH = "0x" + "ab" * 32
NORMAL = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $2000/Eth","TxnFee(ETH)","TxnFee(USD)",'
    '"Historical $Price/Eth","Status","ErrCode","Method"\n'
    f'"{TX_HASH}","5255185","1521052009","2018-03-14 18:26:49","{USER}","{PEER}","","0",'
    '"0.03","60","0.000134622","0.27","613.15","","","Transfer"\n'
)
ERC20 = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
    '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"\n'
    f'"{TX_HASH}","5255185","1521052009","2018-03-14 18:26:49","{PEER}","{USER}","10",'
    f'"$0.79","{LOOM}","Loom","LOOM"\n'
)
ETHEREUM = {"platform": "chain.ethereum"}


async def test_the_merged_transaction_keeps_the_tags_of_the_one_it_replaced(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    task = await import_file(daemon, client, "normal.csv", NORMAL.encode(), context=ETHEREUM)
    assert task["status"] == "completed", task
    [normal] = await client.call("getTransactions", "main")
    await client.call("assignTagToTransaction", "main", normal["id"], "reviewed")
    context = ETHEREUM | {"userAddress": USER}
    task = await import_file(daemon, client, "erc20.csv", ERC20.encode(), context=context)
    assert task["status"] == "completed", task
    await wait_for_task(client, await client.call("enqueueAutoMerge", "main", "user"))

    [merged] = await client.call("getTransactions", "main")
    assert (merged["id"].endswith("_MERGED"), merged["type"]) == (True, "Swap")
    reviewed = [{"id": 1, "name": "reviewed"}]
    assert await client.call("getTagsForTransaction", "main", merged["id"]) == reviewed
    assert await client.call("getTagsForTransaction", "main", normal["id"]) == []
    db = daemon.accounts.get("main")
    assert await db.fetch_all("SELECT * FROM transaction_tags") == [(merged["id"], 1)]
    changes = (await client.call("getChanges", "main", 0, 100))["changes"]
    taggings = [(c["recordId"], c["record"]) for c in changes if c["entity"] == "tagging"]
    assert taggings[-2:] == [
        (
            f"transaction:{merged['id']}",
            {"kind": "transaction", "itemId": merged["id"], "tagIds": [1]},
        ),
        (f"transaction:{normal['id']}", None),
    ]
