"""Auto-merge of EVM transactions sharing a tx hash (data-model §10)."""

from privatefolio_daemon.domain.auto_merge import AuditLogUpdate, auto_merge, merge_order
from privatefolio_daemon.domain.records import AuditLog, Transaction

ETH = "chain.ethereum:0x0000000000000000000000000000000000000000:ETH"
WETH = "chain.ethereum:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2:WETH"
TOKEN = "chain.ethereum:0xA4e8C3Ec456107eA67d3075bF9e3DF3A75823DB0:LOOM"


def _tx(tx_id: str, **fields: object) -> Transaction:
    defaults: dict[str, object] = {
        "platformId": "chain.ethereum",
        "timestamp": 1000,
        "type": "Deposit",
        "wallet": "0xW",
        "fileImportId": tx_id.split("_")[0],
        "metadata": {"txHash": tx_id.split("_")[1]},
    }
    return Transaction(id=tx_id, **(defaults | fields))  # type: ignore[arg-type]


def _log(log_id: str, tx_id: str, operation: str) -> AuditLog:
    return AuditLog(
        id=log_id, assetId=ETH, change="1", importIndex=0, operation=operation,
        platformId="chain.ethereum", timestamp=1000, txId=tx_id, wallet="0xW",
    )  # fmt: skip


def test_a_normal_withdraw_and_an_erc20_deposit_become_a_swap() -> None:
    normal = _tx(
        "1_0xh_NORMAL_0",
        type="Withdraw",
        outgoing="0.03",
        outgoingAsset=ETH,
        fee="-0.0001",
        feeAsset=ETH,
        metadata={"method": "Transfer", "txHash": "0xh"},
    )
    erc20 = _tx(
        "2_0xh_ERC20_0",
        incoming="10",
        incomingAsset=TOKEN,
        metadata={"contractAddress": "0xA4e8", "txHash": "0xh"},
    )
    other = _tx("1_0xo_NORMAL_1", incoming="1", incomingAsset=ETH, platformId="ex.binance")
    logs = [
        _log("1_0xh_NORMAL_0_VALUE_0", normal.id, "Withdraw"),
        _log("1_0xh_NORMAL_0_FEE_0", normal.id, "Fee"),
        _log("2_0xh_ERC20_0_TRANSFER_0", erc20.id, "Deposit"),
    ]

    result = auto_merge([normal, erc20, other], logs)

    assert result.evm_transactions == 2
    assert result.deleted_ids == ["2_0xh_ERC20_0", "1_0xh_NORMAL_0"]
    (merged,) = result.merged
    assert merged.to_wire() == {
        "id": "2_0xh_MERGED", "incomingAsset": TOKEN, "incoming": "10", "feeAsset": ETH,
        "fee": "-0.0001", "fileImportId": "2", "outgoingAsset": ETH, "outgoing": "0.03",
        "platformId": "chain.ethereum", "price": "0.003", "timestamp": 1000, "type": "Swap",
        "wallet": "0xW", "metadata": {"contractAddress": "0xA4e8", "txHash": "0xh"},
    }  # fmt: skip
    assert result.log_updates == [
        AuditLogUpdate("1_0xh_NORMAL_0_VALUE_0", "2_0xh_MERGED", "Sell"),
        AuditLogUpdate("1_0xh_NORMAL_0_FEE_0", "2_0xh_MERGED", "Fee"),
        AuditLogUpdate("2_0xh_ERC20_0_TRANSFER_0", "2_0xh_MERGED", "Buy"),
    ]


def test_a_wrap_keeps_its_type_and_rewrites_operations_to_mint_and_wrap() -> None:
    wrap = _tx("1_0xw_NORMAL_0", type="Wrap", incoming="1", incomingAsset=WETH, outgoing="1",
               outgoingAsset=ETH, metadata={"txHash": "0xw"})  # fmt: skip
    fee_only = _tx("1_0xw_INTERNAL_1", fee="-0.1", feeAsset=ETH, metadata={"txHash": "0xw"})
    logs = [_log("a", wrap.id, "Deposit"), _log("b", fee_only.id, "Withdraw")]

    result = auto_merge([wrap, fee_only], logs)

    assert [(tx.id, tx.type, tx.price) for tx in result.merged] == [("1_0xw_MERGED", "Swap", "1")]
    assert [update.operation for update in result.log_updates] == ["Buy", "Sell"]


def test_a_wrap_without_both_sides_keeps_the_first_members_type() -> None:
    wrap = _tx("1_0xw_NORMAL_0", type="Wrap", incoming="1", incomingAsset=WETH,
               metadata={"txHash": "0xw"})  # fmt: skip
    fee_only = _tx("1_0xw_ERC20_1", type="Withdraw", fee="-0.1", feeAsset=ETH,
                   metadata={"txHash": "0xw"})  # fmt: skip

    result = auto_merge(
        [wrap, fee_only], [_log("a", wrap.id, "Deposit"), _log("b", fee_only.id, "Withdraw")]
    )

    assert [(tx.id, tx.type) for tx in result.merged] == [("1_0xw_MERGED", "Withdraw")]
    assert [update.operation for update in result.log_updates] == ["Deposit", "Withdraw"]


def test_groups_with_two_incoming_sides_or_one_member_are_left_alone() -> None:
    internal = _tx("1_0xh_INTERNAL_0", incoming="0", incomingAsset=ETH)
    erc20 = _tx("1_0xh_ERC20_1", incoming="5", incomingAsset=TOKEN)
    single = _tx("1_0xs_NORMAL_2", incoming="5", incomingAsset=ETH)

    result = auto_merge([internal, erc20, single], [])

    assert (result.merged, result.deleted_ids, result.evm_transactions) == ([], [], 3)


def test_transactions_entered_by_hand_are_never_merged() -> None:
    deposit = _tx("MANUAL_1", fileImportId=None, incoming="5", incomingAsset=TOKEN)
    withdraw = _tx("MANUAL_2", fileImportId=None, outgoing="1", outgoingAsset=ETH)
    for manual in (deposit, withdraw):
        manual.metadata = {"txHash": "0xdead"}
    imported = _tx("1_0xdead_NORMAL_0", type="Withdraw", outgoing="1", outgoingAsset=ETH)

    assert auto_merge([deposit, withdraw], []).merged == []
    result = auto_merge([deposit, imported], [])
    assert (result.merged, result.deleted_ids, result.evm_transactions) == ([], [], 1)


def test_the_merged_transaction_takes_the_notes_of_its_members_in_their_order() -> None:
    normal = _tx("1_0xh_NORMAL_0", outgoing="1", outgoingAsset=ETH, notes="paid Bob")
    internal = _tx("3_0xh_INTERNAL_0", notes="paid Bob")
    erc20 = _tx("2_0xh_ERC20_0", incoming="10", incomingAsset=TOKEN, notes="airdrop?")

    [merged] = auto_merge([normal, internal, erc20], []).merged

    assert (merged.id, merged.notes) == ("2_0xh_MERGED", "airdrop?\npaid Bob")
    [alone] = auto_merge([normal, _tx("2_0xh_ERC20_0", incoming="1")], []).merged
    assert (alone.id, alone.notes) == ("2_0xh_MERGED", "paid Bob")
    [none] = auto_merge([_tx("1_0xh_NORMAL_0", outgoing="1"), _tx("2_0xh_ERC20_0")], []).merged
    assert none.notes is None


def test_sorted_in_parts_the_order_is_that_of_one_sort() -> None:
    """Newest first, then by tx hash and kind, then the larger incoming first, NULL last; equals
    keep the order they came in."""
    ledger = [
        _tx("1_0xb_NORMAL_0", timestamp=1000, incoming="2"),
        _tx("2_0xa_ERC20_0", timestamp=1000),
        _tx("1_0xa_ERC20_0", timestamp=1000, incoming="5"),
        _tx("3_0xa_ERC20_0", timestamp=1000, incoming="7"),
        _tx("1_0xc_NORMAL_0", timestamp=3000),
        _tx("4_0xa_ERC20_0", timestamp=1000),
        _tx("2_0xc_NORMAL_0", timestamp=2000, incoming="1"),
    ]
    expected = [
        "1_0xc_NORMAL_0",
        "2_0xc_NORMAL_0",
        "3_0xa_ERC20_0",
        "1_0xa_ERC20_0",
        "2_0xa_ERC20_0",
        "4_0xa_ERC20_0",
        "1_0xb_NORMAL_0",
    ]

    for at_once in (1, 2, 3, 100):
        assert [tx.id for tx in merge_order(ledger, at_once)] == expected
