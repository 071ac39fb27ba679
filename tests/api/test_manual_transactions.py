"""Manual transactions through the daemon: ids, audit logs, validation, update, patch, delete."""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient, RpcCallError
from tests.api.importing import wait_for_task
from tests.api.manual_entries import STOCK_BUY, SWAP, T, record_events, until


async def test_a_swap_gets_a_manual_id_three_logs_and_the_events(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    seen = await record_events(client)
    assert await client.call("addTransaction", SWAP, "main", "group-1") == "MANUAL_1"
    await until(lambda: len(seen) >= 2)
    assert seen[:2] == [("tx", "created"), ("logs", "created", T, "group-1")]
    assert await client.call("getTransaction", "main", "MANUAL_1") == {
        "id": "MANUAL_1",
        "incomingAsset": "ex.binance:MANA",
        "incoming": "100",
        "feeAsset": "ex.binance:MANA",
        "fee": "0.1",
        "importIndex": 1,
        "outgoingAsset": "ex.binance:ETH",
        "outgoing": "0.010954",
        "notes": "first, and only",
        "platformId": "ex.binance",
        "price": "0.00010954",
        "timestamp": T,
        "type": "Swap",
        "wallet": "Binance Spot",
        "metadata": {},
    }
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_1")
    assert sorted((log["id"], log["operation"], log["assetId"], log["change"]) for log in logs) == [
        ("MANUAL_1_BUY", "Buy", "ex.binance:MANA", "100"),
        ("MANUAL_1_FEE", "Fee", "ex.binance:MANA", "-0.1"),
        ("MANUAL_1_SELL", "Sell", "ex.binance:ETH", "-0.010954"),
    ]
    assert {(log["txId"], log["wallet"], log["timestamp"]) for log in logs} == {
        ("MANUAL_1", "Binance Spot", T)
    }
    assert await client.call("getValue", "main", "transaction_man_seq") == 2


async def test_any_asset_type_and_the_type_as_operation(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    assert await client.call("addTransaction", STOCK_BUY, "main") == "MANUAL_2"
    deposit = {**STOCK_BUY, "type": "Deposit", "incomingAsset": "metal:XAU", "incoming": "0.5"}
    del deposit["outgoing"], deposit["outgoingAsset"]
    assert await client.call("addTransaction", deposit, "main") == "MANUAL_3"
    wrap = {**SWAP, "type": "Wrap"}
    assert await client.call("addTransaction", wrap, "main") == "MANUAL_4"

    stock = await client.call("getTransaction", "main", "MANUAL_2")
    assert (stock["outgoing"], stock["price"]) == ("1705", "170.5")
    changes = {
        log["id"]: (log["operation"], log["assetId"], log["change"])
        for log in await client.call("getAuditLogs", "main")
        if log["txId"] != "MANUAL_1"
    }
    assert changes == {
        "MANUAL_2_BUY": ("Buy", "stock:AAPL", "10"),
        "MANUAL_2_SELL": ("Buy", "fiat:USD", "-1705"),
        "MANUAL_3_BUY": ("Deposit", "metal:XAU", "0.5"),
        "MANUAL_4_BUY": ("Unknown", "ex.binance:MANA", "100"),
        "MANUAL_4_SELL": ("Unknown", "ex.binance:ETH", "-0.010954"),
        "MANUAL_4_FEE": ("Fee", "ex.binance:MANA", "-0.1"),
    }
    deposit_tx = await client.call("getTransaction", "main", "MANUAL_3")
    assert "price" not in deposit_tx and "outgoing" not in deposit_tx


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"incomingAsset": None}, "Incoming asset is required"),
        ({"outgoingAsset": ""}, "Outgoing asset is required"),
        ({"feeAsset": None}, "Fee asset is required"),
        ({"timestamp": -1}, "Timestamp -1 is before 1970"),
        ({"wallet": ""}, "Wallet is required"),
        ({"wallet": "  "}, "Wallet is required"),
        ({"platformId": ""}, "Platform is required"),
        ({"platformId": " "}, "Platform is required"),
        ({"incomingAsset": "   "}, "Incoming asset is required"),
        ({"incoming": "ten"}, 'Invalid incoming amount "ten": expected a positive number'),
        ({"fee": "-0.1"}, 'Invalid fee amount "-0.1": expected a positive number'),
        (
            {"incoming": "0,5"},
            'Invalid incoming amount "0,5": '
            "write it with a point before the decimals and no thousands separators",
        ),
        (
            {"incoming": "1e250"},
            'Invalid incoming amount "1e250": at most 80 digits before and after the point',
        ),
        (
            {"outgoing": f"0.{'0' * 80}1"},
            f'Invalid outgoing amount "0.{"0" * 38}…": '
            "at most 80 digits before and after the point",
        ),
        ({"timestamp": 7_000_000_000_000}, "Timestamp 2191-10-27 12:26:40 is in the future"),
        ({"timestamp": 10**15}, f"Timestamp {10**15} is in the future"),
        (
            {"incoming": None, "outgoing": None, "fee": None},
            "A transaction needs an incoming, outgoing or fee amount",
        ),
        (
            {"outgoingAsset": "ex.binance:MANA"},
            "The incoming and outgoing assets are the same (ex.binance:MANA): "
            "a transaction cannot exchange an asset for itself",
        ),
        *(
            (
                {"outgoingAsset": asset},
                f'Outgoing asset "{asset}" is not an asset id: write <platform>:<symbol>, '
                "e.g. stock:AAPL, fiat:EUR or ex.binance:BTC",
            )
            for asset in ("ETH", ":ETH", "ex.binance:", "chain.ethereum:0x12:", "a:b:c:d")
        ),
        (
            {"outgoingAsset": "ex.binance: MANA "},
            "The incoming and outgoing assets are the same (ex.binance:MANA): "
            "a transaction cannot exchange an asset for itself",
        ),
        (
            {"type": "Deposit"},
            "A Deposit has no outgoing amount (for an exchange, choose Swap)",
        ),
        (
            {"type": "Withdraw"},
            "A Withdraw has no incoming amount (for an exchange, choose Swap)",
        ),
        (
            {"outgoing": None, "outgoingAsset": None},
            "A Swap has an incoming and an outgoing amount (for one side only, choose Deposit "
            "or Withdraw)",
        ),
    ],
)
async def test_invalid_input_is_refused_and_changes_nothing(
    client: DaemonClient, change: dict[str, Any], message: str
) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as caught:
        await client.call("addTransaction", {**SWAP, **change}, "main")
    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert await client.call("countTransactions", "main") == 0
    assert await client.call("countAuditLogs", "main") == 0
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_1"


async def test_names_are_stored_without_surrounding_spaces(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    padded = {
        **SWAP,
        "wallet": " Binance Spot ",
        "platformId": "ex.binance ",
        "incomingAsset": " ex.binance : MANA",
        "outgoingAsset": "ex.binance:ETH ",
        "feeAsset": "  ex.binance:MANA",
    }
    await client.call("addTransaction", padded, "main")
    await client.call("patchTransaction", "main", "MANUAL_1", {"wallet": "Binance Spot  "})

    tx = await client.call("getTransaction", "main", "MANUAL_1")
    names = ("wallet", "platformId", "incomingAsset", "outgoingAsset", "feeAsset")
    assert [tx[name] for name in names] == [SWAP[name] for name in names]
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_1")
    assert sorted((log["assetId"], log["wallet"], log["platformId"]) for log in logs) == [
        ("ex.binance:ETH", "Binance Spot", "ex.binance"),
        ("ex.binance:MANA", "Binance Spot", "ex.binance"),
        ("ex.binance:MANA", "Binance Spot", "ex.binance"),
    ]


async def test_a_fiat_code_is_put_in_upper_case(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    cash = {**STOCK_BUY, "outgoingAsset": "fiat:usd", "fee": "1", "feeAsset": " fiat:Usd"}
    await client.call("addTransaction", cash, "main")

    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["outgoingAsset"], tx["feeAsset"]) == ("fiat:USD", "fiat:USD")


async def test_update_replaces_the_transaction_and_its_logs(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    seen = await record_events(client)
    replacement = {**STOCK_BUY, "timestamp": T - 5000, "notes": "fixed"}
    await client.call("updateTransaction", "main", "MANUAL_1", replacement)
    await until(lambda: len(seen) >= 2)
    assert seen[:2] == [("tx", "created"), ("logs", "created", T - 5000, None)]
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["type"], tx["incoming"], tx["notes"], tx["timestamp"]) == (
        "Buy",
        "10",
        "fixed",
        T - 5000,
    )
    assert "fee" not in tx
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_1")
    assert sorted(log["id"] for log in logs) == ["MANUAL_1_BUY", "MANUAL_1_SELL"]
    assert await client.call("countAuditLogs", "main") == 2

    with pytest.raises(RpcCallError) as caught:
        await client.call("updateTransaction", "main", "MANUAL_9", replacement)
    assert (caught.value.code, caught.value.message) == (
        -32002,
        "Transaction MANUAL_9 does not exist",
    )
    with pytest.raises(RpcCallError) as caught:
        await client.call("updateTransaction", "main", "123_0xabc_NORMAL_0", replacement)
    assert caught.value.message == (
        "Only manual transactions can be updated, not 123_0xabc_NORMAL_0: use patchTransaction "
        "to change its notes"
    )


async def test_a_patch_of_notes_leaves_the_logs(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    logs_before = await client.call("getAuditLogs", "main")
    seen = await record_events(client)
    await client.call("patchTransaction", "main", "MANUAL_1", {"notes": "OTC, via a friend"})
    await until(lambda: len(seen) >= 1)
    assert seen[0] == ("tx", "created")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert tx["notes"] == "OTC, via a friend"
    assert tx["price"] == "0.00010954"
    assert await client.call("getAuditLogs", "main") == logs_before
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchTransaction", "main", "MANUAL_1", {"id": "MANUAL_7"})
    assert caught.value.message == "A transaction's id cannot be changed"


async def test_a_patched_amount_or_wallet_makes_the_manual_logs_again(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    seen = await record_events(client)

    patch = {"incoming": "50", "wallet": "W2", "role": "Taker", "metadata": {"via": "otc"}}
    await client.call("patchTransaction", "main", "MANUAL_1", patch)

    await until(lambda: len(seen) >= 2)
    assert seen[:2] == [("tx", "created"), ("logs", "created", T, None)]
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["incoming"], tx["wallet"], tx["price"]) == ("50", "W2", "0.00021908")
    assert (tx["role"], tx["metadata"]) == ("Taker", {"via": "otc"})
    [change] = [c for c in (await client.call("getChanges", "main"))["changes"]]
    assert change["record"] == tx
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_1")
    assert sorted((log["id"], log["change"], log["wallet"]) for log in logs) == [
        ("MANUAL_1_BUY", "50", "W2"),
        ("MANUAL_1_FEE", "-0.1", "W2"),
        ("MANUAL_1_SELL", "-0.010954", "W2"),
    ]


async def test_an_imported_transactions_ledger_fields_cannot_be_patched(
    client: DaemonClient, daemon: Daemon
) -> None:
    await client.call("createAccount", "main")
    await daemon.accounts.get("main").execute(
        "INSERT INTO transactions (id, incomingAsset, incoming, platformId, timestamp, type, "
        "wallet) VALUES ('f_1', 'ex.binance:BTC', '1', 'ex.binance', ?, 'Deposit', 'Spot')",
        (T,),
    )
    before = await client.call("getTransaction", "main", "f_1")
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchTransaction", "main", "f_1", {"incoming": "2", "wallet": "W"})
    assert caught.value.message == (
        "Transaction f_1 was imported, so its audit logs fix its incoming and wallet: only its "
        "notes, type, price, role and metadata can be patched"
    )
    assert await client.call("getTransaction", "main", "f_1") == before

    await client.call("patchTransaction", "main", "f_1", {"type": "Reward", "notes": "staking"})
    tx = await client.call("getTransaction", "main", "f_1")
    assert (tx["type"], tx["notes"], tx["incoming"]) == ("Reward", "staking", "1")


async def test_a_swap_of_amounts_far_apart_gets_its_price(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    swap = {**SWAP, "incoming": "0.000001", "outgoing": "1e70", "fee": None}
    await client.call("addTransaction", swap, "main")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["outgoing"], tx["price"]) == ("1" + "0" * 70, "1e+76")


@pytest.mark.parametrize(
    ("incoming", "outgoing", "price"), [("1e25", "0.0001", "0"), ("1e-80", "1e79", "1e+159")]
)
async def test_a_two_sided_price_is_worked_out_and_one_sent_along_is_not_read(
    client: DaemonClient, incoming: str, outgoing: str, price: str
) -> None:
    """A stored swap sent back whole is taken back, whatever price it was stored with; a patched
    price of a swap gives way to the one its amounts make, as an added one does."""
    await client.call("createAccount", "main")
    swap = {**SWAP, "incoming": incoming, "outgoing": outgoing, "fee": None, "price": "999"}
    await client.call("addTransaction", swap, "main")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert tx["price"] == price
    await client.call("updateTransaction", "main", "MANUAL_1", {**tx, "notes": "edited"})
    await client.call("patchTransaction", "main", "MANUAL_1", {"price": "7"})
    assert await client.call("getTransaction", "main", "MANUAL_1") == {**tx, "notes": "edited"}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"incoming": "notanumber"},
            'Invalid incoming amount "notanumber": expected a positive number',
        ),
        ({"fee": "-1"}, 'Invalid fee amount "-1": expected a positive number'),
        ({"timestamp": 10**15}, f"Timestamp {10**15} is in the future"),
        ({"timestamp": -5}, "Timestamp -5 is before 1970"),
        ({"wallet": ""}, "'wallet' cannot be empty"),
        ({"wallet": "   "}, "'wallet' cannot be empty"),
        ({"incomingAsset": " "}, "Incoming asset is required"),
        ({"price": 5}, "Invalid params: 'patch'.price must be a string or null, not a number"),
        ({"incomingAsset": None}, "Incoming asset is required"),
        ({"feeAsset": ""}, "Fee asset is required"),
        ({"outgoing": "1", "outgoingAsset": None}, "Outgoing asset is required"),
    ],
)
async def test_a_patch_is_checked_as_an_added_transaction_is(
    client: DaemonClient, patch: dict[str, Any], message: str
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    before = await client.call("getTransaction", "main", "MANUAL_1")
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchTransaction", "main", "MANUAL_1", patch)
    assert (caught.value.code, caught.value.message) == (-32602, message)
    assert await client.call("getTransaction", "main", "MANUAL_1") == before


async def test_a_patch_that_drops_a_side_drops_the_price_worked_out_from_it(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    assert (await client.call("getTransaction", "main", "MANUAL_1"))["price"] == "170.5"

    patch = {"type": "Deposit", "outgoing": None, "outgoingAsset": None}
    await client.call("patchTransaction", "main", "MANUAL_1", patch)
    assert "price" not in await client.call("getTransaction", "main", "MANUAL_1")

    await client.call("patchTransaction", "main", "MANUAL_1", {"price": "171", "incoming": "3"})
    await client.call("patchTransaction", "main", "MANUAL_1", {"incoming": "4"})
    assert (await client.call("getTransaction", "main", "MANUAL_1"))["price"] == "171"


async def test_an_update_keeps_the_role_and_metadata_a_patch_gave(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    patch = {"role": "Maker", "metadata": {"via": "otc"}}
    await client.call("patchTransaction", "main", "MANUAL_1", patch)
    await client.call("updateTransaction", "main", "MANUAL_1", {**SWAP, "incoming": "90"})
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert (tx["incoming"], tx["role"], tx["metadata"]) == ("90", "Maker", {"via": "otc"})


async def test_a_whole_record_sent_back_patches_only_what_changed(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    await client.call("patchTransaction", "main", "MANUAL_1", {**tx, "notes": "checked"})
    assert await client.call("getTransaction", "main", "MANUAL_1") == {**tx, "notes": "checked"}


async def test_delete_removes_the_transaction_logs_and_tags(client: DaemonClient) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    await client.call("assignTagToTransaction", "main", "MANUAL_1", "otc")
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_FEE", "otc")
    seen = await record_events(client)
    completed: list[Any] = []
    task_id = await client.call(
        "enqueueDeleteTransaction", "main", "user", "MANUAL_1", lambda *a: completed.append(a)
    )
    task = await wait_for_task(client, task_id)
    assert (task["name"], task["priority"], task["status"]) == (
        "Remove transaction MANUAL_1",
        9,
        "completed",
    )
    await until(lambda: len(completed) == 1 and len(seen) >= 2)
    assert seen[:2] == [("tx", "deleted", "MANUAL_1"), ("logs", "deleted", T, None)]
    assert await client.call("getTransaction", "main", "MANUAL_1") is None
    assert [log["txId"] for log in await client.call("getAuditLogs", "main")] == [
        "MANUAL_2",
        "MANUAL_2",
    ]
    assert await client.call("getTagsForTransaction", "main", "MANUAL_1") == []
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_FEE") == []

    task_id = await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_1")
    task = await wait_for_task(client, task_id)
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        "Error: Transaction MANUAL_1 does not exist",
    )


async def test_an_update_that_drops_a_log_drops_its_tags_and_keeps_the_others(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_FEE", "wrong fee")
    await client.call("assignTagToAuditLog", "main", "MANUAL_1_BUY", "otc")
    seen = (await client.call("getChanges", "main", 0))["lastSeq"]
    without_fee = {key: value for key, value in SWAP.items() if key not in ("fee", "feeAsset")}
    await client.call("updateTransaction", "main", "MANUAL_1", without_fee)
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_FEE") == []
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_BUY") == [
        {"id": 2, "name": "otc"}
    ]
    changes = (await client.call("getChanges", "main", seen))["changes"]
    assert [(c["entity"], c["recordId"], c["deleted"]) for c in changes] == [
        ("tagging", "auditLog:MANUAL_1_FEE", True),
        ("transaction", "MANUAL_1", False),
    ]

    await client.call("updateTransaction", "main", "MANUAL_1", SWAP)  # the fee comes back
    assert await client.call("getTagsForAuditLog", "main", "MANUAL_1_FEE") == []
    assert await client.call("getAuditLogs", "main", {"tag": "wrong fee"}) == []


@pytest.mark.parametrize("counter", [1, 0, -5, "abc", True, None])
async def test_a_number_in_use_is_never_given_again_whatever_the_counter_says(
    client: DaemonClient, daemon: Daemon, counter: Any
) -> None:
    """A counter from elsewhere (an older version, a file edited by hand)."""
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("addTransaction", STOCK_BUY, "main")
    await daemon.accounts.get("main").write(
        lambda connection: connection.execute(
            "UPDATE key_value SET value = ? WHERE key = 'transaction_man_seq'", (counter,)
        )
    )
    assert await client.call("addTransaction", {**STOCK_BUY, "notes": "third"}, "main") == (
        "MANUAL_3"
    )
    first = await client.call("getTransaction", "main", "MANUAL_1")
    assert (first["type"], first["notes"]) == ("Swap", "first, and only")
    logs = await client.call("getAuditLogsForTransaction", "main", "MANUAL_3")
    assert sorted(log["id"] for log in logs) == ["MANUAL_3_BUY", "MANUAL_3_SELL"]
    assert await client.call("countAuditLogs", "main") == 7
    assert await client.call("addTransaction", STOCK_BUY, "main") == "MANUAL_4"


async def test_a_misspelt_key_is_refused_and_a_stored_record_is_taken_back(
    client: DaemonClient,
) -> None:
    await client.call("createAccount", "main")
    with pytest.raises(RpcCallError) as caught:
        await client.call("addTransaction", {**SWAP, "fees": "1"}, "main")
    assert caught.value.code == -32602
    assert caught.value.message.startswith("Invalid params: 'tx' has no key 'fees' (its keys are:")
    assert await client.call("countTransactions", "main") == 0

    await client.call("addTransaction", SWAP, "main")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    await client.call("updateTransaction", "main", "MANUAL_1", {**tx, "notes": "checked"})
    assert await client.call("getTransaction", "main", "MANUAL_1") == {**tx, "notes": "checked"}
    with pytest.raises(RpcCallError) as caught:
        await client.call("updateTransaction", "main", "MANUAL_1", {**tx, "note": "lost"})
    assert caught.value.message.startswith("Invalid params: 'tx' has no key 'note'")
    assert await client.call("getTransaction", "main", "MANUAL_1") == {**tx, "notes": "checked"}
    with pytest.raises(RpcCallError) as caught:
        await client.call("patchTransaction", "main", "MANUAL_1", {"note": "lost"})
    assert caught.value.message.startswith("Invalid params: 'patch' has no key 'note'")
    await client.call("patchTransaction", "main", "MANUAL_1", {**tx, "notes": "patched"})
    assert await client.call("getTransaction", "main", "MANUAL_1") == {**tx, "notes": "patched"}


@pytest.mark.parametrize("key", ["transaction_man_seq", "connection_seq", "sync_feed_id"])
async def test_set_value_cannot_change_the_daemons_own_keys(client: DaemonClient, key: str) -> None:
    await client.call("createAccount", "main")
    await client.call("addTransaction", SWAP, "main")
    await client.call("enqueueDeleteTransaction", "main", "user", "MANUAL_1")
    before = await client.call("getValue", "main", key)

    with pytest.raises(RpcCallError) as refused:
        await client.call("setValue", "main", key, 1)

    assert (refused.value.code, refused.value.message) == (
        -32602,
        f"The key {key} of key_value is the daemon's own and cannot be changed",
    )
    assert await client.call("getValue", "main", key) == before
    assert await client.call("addTransaction", SWAP, "main") == "MANUAL_2"


USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"


async def test_a_contract_typed_in_one_case_is_the_checksummed_asset(
    client: DaemonClient,
) -> None:
    """An ERC-20 import names USDC by its checksummed contract (data-model §3.1): a manual
    entry that types it in lower case adds to that asset, not to a second one."""
    await client.call("createAccount", "main")
    deposit = {
        "type": "Deposit",
        "timestamp": T,
        "wallet": "0xwallet",
        "platformId": "chain.ethereum",
        "incoming": "5",
        "incomingAsset": f"chain.ethereum:{USDC.lower()}:USDC",
    }
    await client.call("addTransaction", deposit, "main")
    tx = await client.call("getTransaction", "main", "MANUAL_1")
    assert tx["incomingAsset"] == f"chain.ethereum:{USDC}:USDC"


@pytest.mark.parametrize(
    ("contract", "problem"),
    [
        ("0xZZ", '"0xZZ" is not a contract address (0x and 40 hexadecimal digits)'),
        (
            USDC[:-1] + "b",
            f'the contract address "{USDC[:-1]}b" has a wrong checksum (its mixed case); '
            "it is probably mistyped",
        ),
    ],
)
async def test_a_contract_that_cannot_be_one_is_refused(
    client: DaemonClient, contract: str, problem: str
) -> None:
    await client.call("createAccount", "main")
    asset = f"chain.ethereum:{contract}:USDC"
    deposit = {**STOCK_BUY, "type": "Deposit", "incomingAsset": asset, "outgoing": None}
    deposit.pop("outgoingAsset")
    with pytest.raises(RpcCallError) as caught:
        await client.call("addTransaction", deposit, "main")
    assert (caught.value.code, caught.value.message) == (
        -32602,
        f"Incoming asset: {problem}",
    )
    with pytest.raises(RpcCallError) as caught:
        await client.call("upsertAsset", "main", {"id": asset, "name": "USD Coin"})
    assert caught.value.message == f"Asset id: {problem}"
    assert await client.call("getTransactions", "main") == []
    assert await client.call("getMyAssets", "main") == []
