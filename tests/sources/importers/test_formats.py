"""One small hand-written file per registered format, checked field by field."""

import pytest

from privatefolio_daemon.domain.hashing import string_hash
from privatefolio_daemon.sources.importers.base import ImportFormatError, ParserContext
from privatefolio_daemon.sources.importers.parse_file import parse_text

ETH = "chain.ethereum:0x0000000000000000000000000000000000000000:ETH"
WETH = "chain.ethereum:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2:WETH"
MINER = "0xf98C96B5d10faAFc2324847c82305Bd5fd7E5ad3"
ON_ETHEREUM = ParserContext(platform="chain.ethereum")
FID = "42"


def _parse(text: str, context: ParserContext | None = None):  # type: ignore[no-untyped-def]
    result = parse_text(text, file_name="x.csv", context=context)
    return (
        result,
        [log.to_wire() for log in result.logs],
        [t.to_wire() for t in result.transactions],
    )


def _fid(text: str) -> str:
    return string_hash(f"fi_x.csv_{len(text)}_0")


def test_mexc_buy_gives_three_logs_and_a_buy() -> None:
    row = "BTC_USDT,2024-03-01 10:00:00,BUY,60000,0.01,600,0.6,Taker"
    text = f"Pairs,Time,Side,Filled Price,Executed Amount,Total,Fee,Role\n{row}"
    result, logs, txs = _parse(text)
    tx_id = f"{_fid(text)}_{string_hash(f'0_{row}')}"

    assert [
        (log["id"], log["operation"], log["assetId"], log["change"], log["importIndex"])
        for log in logs
    ] == [
        (f"{tx_id}_0", "Sell", "mexc:USDT", "-600", 0),
        (f"{tx_id}_1", "Buy", "mexc:BTC", "0.01", 0.1),
        (f"{tx_id}_2", "Fee", "mexc:USDT", "-0.6", 0.2),
    ]
    assert txs[0] | {"fileImportId": None} == {
        "id": tx_id, "incomingAsset": "mexc:BTC", "incoming": "0.01", "feeAsset": "mexc:USDT",
        "fee": "0.6", "fileImportId": None, "outgoingAsset": "mexc:USDT", "outgoing": "600",
        "platformId": "ex.mxc", "price": "60000", "role": "Taker", "timestamp": 1709287200000,
        "type": "Buy", "wallet": "MEXC Spot", "metadata": {},
    }  # fmt: skip
    assert result.meta.platformId == "ex.mxc"


def test_blockpit_trade_becomes_a_swap_an_hour_behind_cet() -> None:
    header = (
        "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
        "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
        "Transaction ID;Note;Merge ID"
    )
    row = (
        "1;01.03.2024 11:00:00;exchange;Binance;binance;Trade;USDT;600.0;BTC;0.0100;BNB;0.001;"
        "abc;n;m"
    )
    text = f"{header}\n{row}"
    result, logs, txs = _parse(text)
    tx_id = f"{_fid(text)}_{string_hash(f'0_{row}')}"

    assert [(log["id"], log["change"], log["platformId"]) for log in logs] == [
        (f"{tx_id}Buy", "0.01", "binance"),
        (f"{tx_id}Sell", "-600", "binance"),
        (f"{tx_id}Fee", "-0.001", "binance"),
    ]
    assert (txs[0]["type"], txs[0]["price"], txs[0]["fee"], txs[0]["timestamp"]) == (
        "Swap",
        "60000",
        "0.001",
        1709287200000,
    )
    assert result.meta.platformId == "app.blockpit"


BLOCKPIT_HEADER = (
    "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
    "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
    "Transaction ID;Note;Merge ID"
)


def test_a_blockpit_reward_keeps_no_fee_as_no_log_pays_it() -> None:
    row = "4;01.02.2021 10:00:03;x;x;x;Airdrop;;;ETH;5;ETH;0.1;t;n;m"
    _, logs, txs = _parse(f"{BLOCKPIT_HEADER}\n{row}")
    assert [(log["operation"], log["change"]) for log in logs] == [("Reward", "5")]
    assert (txs[0]["type"], txs[0]["incoming"], "fee" in txs[0]) == ("Reward", "5", False)


@pytest.mark.parametrize(
    ("kind", "sides", "column"),
    [
        ("Trade", ";;BTC;0.002", "Outgoing Amount"),
        ("Trade", "EUR;50;;", "Incoming Amount"),
        ("Deposit", ";;;", "Incoming Amount"),
        ("Withdrawal", ";;;", "Outgoing Amount"),
    ],
)
def test_a_blockpit_row_without_the_amount_its_type_needs_is_refused(
    kind: str, sides: str, column: str
) -> None:
    """Not dropped with its fee, which would leave the balances short without a word."""
    row = f"1;01.02.2021 10:00:00;x;x;x;{kind};{sides};EUR;0.5;t;n;m"
    with pytest.raises(ImportFormatError) as refused:
        parse_text(f"{BLOCKPIT_HEADER}\n{row}", file_name="x.csv")
    swap = {"Trade": "Swap", "Withdrawal": "Withdraw"}.get(kind, kind)
    assert str(refused.value) == (
        f'Cannot parse row 1: Missing value in column "{column}": a {swap} needs it'
    )


def test_coinstats_sent_becomes_a_negative_withdraw_and_fills_are_skipped() -> None:
    header = (
        "Portfolio,Coin Name,Coin Symbol,Exchange,Pair,Type,Amount,Price,Price USD,Fee Percent,"
        "Fee Amount,Fee Currency,Date,Notes"
    )
    sent = "Main,Bitcoin,BTC,,,Sent,0.5,,,,,,2024-03-01 10:00:00,"
    fill = (
        'Main,XEN,XEN,,,Fill,-20000000,,,,,,2024-03-01 10:00:00,"This is a fake transaction '
        'created to fill your balance, because some of your transactions are missing"'
    )
    text = f"{header}\n{sent}\n{fill}"
    result, logs, txs = _parse(text)
    # The id hashes the Amount as written (file-formats §2.5), before the sign is added.
    log_id = f"{_fid(text)}_{string_hash('app.coinstats:BTC_Withdraw_0.5')}_0"

    assert [(log["id"], log["change"], log["txId"], log["wallet"]) for log in logs] == [
        (log_id, "-0.5", f"{log_id}_TX", "Main")
    ]
    assert [(tx["type"], tx["outgoing"], tx["outgoingAsset"]) for tx in txs] == [
        ("Withdraw", "0.5", "app.coinstats:BTC")
    ]
    assert result.meta.rows == 2


def test_coinstats_skips_fake_fill_notes_in_lower_case_only() -> None:
    """§2.5: "duplicate" in any case, the fill note only as Coinstats writes it (lower case)."""
    header = (
        "Portfolio,Coin Name,Coin Symbol,Exchange,Pair,Type,Amount,Price,Price USD,Fee Percent,"
        "Fee Amount,Fee Currency,Date,Notes"
    )
    rows = [
        f"Main,Ethereum,ETH,,,Received,{amount},,,,,,2023-01-11 10:00:0{amount},{note}"
        for amount, note in (
            (1, "fake transaction created to fill your balance"),
            (2, "Fake transaction created to fill your balance"),
            (3, "FAKE TRANSACTION CREATED TO FILL YOUR BALANCE"),
            (4, "DUPLICATE of 1"),
            (5, "Duplicate"),
        )
    ]
    result, logs, _ = _parse("\n".join([header, *rows]))

    assert [log["change"] for log in logs] == ["2", "3"]
    assert result.meta.rows == 5


def test_block_rewards_credit_the_checksummed_miner() -> None:
    header = (
        '"Blockno","UnixTimestamp","DateTime (UTC)","Txn","Uncles","Miner","GasUsed","GasLimit",'
        '"BaseFee","Reward(ETH)"'
    )
    row = (
        '"100","1600000000","2020-09-13 12:26:40","5","0",'
        '"0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3","1","2","3","2.5"'
    )
    text = f"{header}\n{row}"
    result, logs, txs = _parse(text, ON_ETHEREUM)
    tx_id = f"{_fid(text)}_{MINER}+100_BLOCK_0"

    assert logs == [
        {"id": f"{tx_id}_VALUE_0", "assetId": ETH, "change": "2.5", "fileImportId": _fid(text),
         "importIndex": 0, "operation": "Reward", "platformId": "chain.ethereum",
         "timestamp": 1600000000000, "txId": tx_id, "wallet": MINER},
    ]  # fmt: skip
    assert (txs[0]["type"], txs[0]["incoming"], txs[0]["incomingAsset"]) == ("Reward", "2.5", ETH)
    assert result.meta.platformId == "chain.ethereum"


def test_a_zero_block_reward_leaves_the_transaction_without_an_incoming_side() -> None:
    header = (
        '"Blockno","UnixTimestamp","DateTime (UTC)","Txn","Uncles","Miner","GasUsed","GasLimit",'
        '"BaseFee","Reward(ETH)"'
    )
    row = '"101","1600000000","2020-09-13 12:26:40","0","0","0xabc","1","2","3","0"'
    _, logs, txs = _parse(f"{header}\n{row}", ON_ETHEREUM)

    assert [(log["operation"], log["change"]) for log in logs] == [("Reward", "0")]
    assert "incoming" not in txs[0] and "incomingAsset" not in txs[0]


def test_a_zero_beacon_withdrawal_keeps_its_incoming_side() -> None:
    header = (
        '"Index","Blockno","UnixTimestamp","DateTime (UTC)","Validator Index","Recipient","Value"'
    )
    row = '"8","201","1700000000","2023-11-14 22:13:20","1234","0xabc","0 ETH"'
    _, _, txs = _parse(f"{header}\n{row}", ON_ETHEREUM)

    assert (txs[0]["incoming"], txs[0]["incomingAsset"]) == ("0", ETH)


def test_beacon_withdrawal_is_an_unstake_of_the_first_word() -> None:
    header = (
        '"Index","Blockno","UnixTimestamp","DateTime (UTC)","Validator Index","Recipient","Value"'
    )
    row = '"7","200","1700000000","2023-11-14 22:13:20","1234","0xabc","0.0123 ETH"'
    text = f"{header}\n{row}"
    _, logs, txs = _parse(text, ON_ETHEREUM)

    assert [(log["id"], log["operation"], log["change"], log["wallet"]) for log in logs] == [
        (f"{_fid(text)}_1234+200_BEACON_0_VALUE_0", "Unstake", "0.0123", "0xabc")
    ]
    assert (txs[0]["type"], txs[0]["incoming"]) == ("Unstake", "0.0123")


def test_a_beacon_withdrawal_is_on_the_checksummed_wallet_as_other_etherscan_files() -> None:
    header = (
        '"Index","Blockno","UnixTimestamp","DateTime (UTC)","Validator Index","Recipient","Value"'
    )
    row = f'"7","200","1700000000","2023-11-14 22:13:20","1234","{MINER.lower()}","1 ETH"'
    _, logs, txs = _parse(f"{header}\n{row}", ON_ETHEREUM)

    assert (logs[0]["wallet"], txs[0]["wallet"]) == (MINER, MINER)


def test_internal_weth_unwrap_adds_a_weth_withdraw() -> None:
    header = (
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","ParentTxFrom","ParentTxTo",'
        '"ParentTxETH_Value","From","TxTo","ContractAddress","Value_IN(ETH)","Value_OUT(ETH)",'
        '"CurrentValue @ $2000/Eth","Historical $Price/Eth","Status","ErrCode","Type"'
    )
    weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
    row = (
        f'"0xh","1","1600000000","2020-09-13 12:26:40","{MINER.lower()}","{weth}","0",'
        f'"{weth}","{MINER.lower()}","","1,000.5","0","1","1","0","","call"'
    )
    text = f"{header}\n{row}"
    result, logs, txs = _parse(text, ParserContext(platform="chain.arbitrum-one"))
    tx_id = f"{_fid(text)}_0xh_INTERNAL_0"

    assert [
        (log["id"], log["assetId"], log["operation"], log["change"], log["platformId"])
        for log in logs
    ] == [
        (f"{tx_id}_VALUE_0", ETH, "Deposit", "1000.5", "chain.arbitrum-one"),
        (f"{tx_id}_WETH_0", WETH, "Withdraw", "-1000.5", "chain.arbitrum-one"),
    ]  # fmt: skip
    assert (txs[0]["type"], txs[0]["incoming"], txs[0]["outgoing"], txs[0]["outgoingAsset"]) == (
        "Unwrap",
        "1000.5",
        "1000.5",
        WETH,
    )
    assert result.meta.wallets == [MINER]


def test_privatefolio_transactions_reimport_keeps_metadata_and_pays_the_fee() -> None:
    """The transaction keeps the fee as written; its log pays it whatever its sign (file-formats
    §2.6 keeps a Binance fee positive in the log, which added it to the balance: changed)."""
    header = (
        '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
        '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method",'
        '"Blockchain Tx","Notes"'
    )
    row = (
        '"2017-12-27 19:55:48","ex.binance","Binance Spot","Swap","100","ex.binance:MANA",'
        '"0.010954","ex.binance:ETH","0.1","ex.binance:MANA","","","","hello\\, world"'
    )
    text = f"{header}\n{row}"
    _, logs, txs = _parse(text)
    tx_id = f"{_fid(text)}_{string_hash(f'0_{row}')}"

    assert [(log["id"], log["operation"], log["change"], log["importIndex"]) for log in logs] == [
        (f"{tx_id}_DEPOSIT", "Deposit", "100", 0.1),
        (f"{tx_id}_WITHDRAW", "Withdraw", "-0.010954", 0.1),
        (f"{tx_id}_FEE", "Fee", "-0.1", 0.1),
    ]
    assert txs[0]["fee"] == "0.1"
    etherscan_style = row.replace('"0.1","ex.binance:MANA"', '"-0.0003","ex.binance:MANA"')
    assert _parse(f"{header}\n{etherscan_style}")[1][2]["change"] == "-0.0003"
    assert (txs[0]["notes"], txs[0]["metadata"]) == (
        "hello, world",
        {"contractAddress": "", "method": "", "txHash": ""},
    )


def test_binance_swap_price_with_many_integer_digits_keeps_twenty_decimals() -> None:
    header = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
    rows = [
        '"1","2024-01-01 00:00:00","Spot","Buy","SHIB","0.00000123",""',
        '"1","2024-01-01 00:00:00","Spot","Sell","USDT","-9999.99",""',
    ]
    _, logs, txs = _parse("\n".join([header, *rows]))

    assert (txs[0]["price"], txs[0]["incoming"]) == (
        "8130073170.73170731707317073171",
        "0.00000123",
    )
    assert {log["txId"] for log in logs} == {txs[0]["id"]}
