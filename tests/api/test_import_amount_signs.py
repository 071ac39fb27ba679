"""Amount columns written with spaces or a sign, imported through the daemon.

An importer that makes an amount negative (an outgoing amount, a fee) stores it unsigned and
canonical: spaces and a leading ``+`` are dropped, and a leading ``-`` is refused, as negating it
would turn an amount going out into one coming in. Every stored amount stays one the balances and
trades read.
"""

from typing import Any

import pytest

from privatefolio_daemon.app import Daemon
from privatefolio_daemon.client import DaemonClient
from tests.api.derived import wait_for_side_effects
from tests.api.importing import import_file, ledger_digest


def quoted(*values: str) -> str:
    return ",".join(f'"{value}"' for value in values)


EXPORT_HEADER = quoted(
    "Timestamp", "Platform", "Wallet", "Type", "Incoming", "Incoming Asset", "Outgoing",
    "Outgoing Asset", "Fee", "Fee Asset", "Smart Contract", "Smart Contract Method",
    "Blockchain Tx", "Notes",
)  # fmt: skip
MEXC_HEADER = "Pairs,Time,Side,Filled Price,Executed Amount,Total,Fee,Role"
BLOCKPIT_HEADER = (
    "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
    "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
    "Transaction ID;Note;Merge ID"
)
NORMAL_HEADER = quoted(
    "Txhash", "Blockno", "UnixTimestamp", "DateTime (UTC)", "From", "To", "ContractAddress",
    "Value_IN(ETH)", "Value_OUT(ETH)", "CurrentValue @ $1234.56/Eth", "TxnFee(ETH)",
    "TxnFee(USD)", "Historical $Price/Eth", "Status", "ErrCode", "Method",
)  # fmt: skip
INTERNAL_HEADER = quoted(
    "Txhash", "Blockno", "UnixTimestamp", "DateTime (UTC)", "ParentTxFrom", "ParentTxTo",
    "ParentTxETH_Value", "From", "TxTo", "ContractAddress", "Value_IN(ETH)", "Value_OUT(ETH)",
    "CurrentValue @ $1234.56/Eth", "Historical $Price/Eth", "Status", "ErrCode", "Type",
)  # fmt: skip
ERC20_HEADER = quoted(
    "Txhash", "Blockno", "UnixTimestamp", "DateTime (UTC)", "From", "To", "TokenValue",
    "USDValueDayOfTx", "ContractAddress", "TokenName", "TokenSymbol",
)  # fmt: skip
BLOCK_REWARDS_HEADER = quoted(
    "Blockno", "UnixTimestamp", "DateTime (UTC)", "Txn", "Uncles", "Miner", "GasUsed",
    "GasLimit", "BaseFee", "Reward(ETH)",
)  # fmt: skip
COINMAMA_HEADER = "Transaction, Type,\tAmount,\tDate Created,\tStatus"

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
OTHER = "0x1111111111111111111111111111111111111111"
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
ETHEREUM = {"platform": "chain.ethereum"}
ERC20_CONTEXT = {"platform": "chain.ethereum", "userAddress": USER}
REASON = "(write it without a minus sign: the import itself makes the amounts going out negative)"


def export_row(tx_type: str, incoming: str, outgoing: str, fee: str) -> str:
    return quoted(
        "2021-01-01 00:00:00", "ex.kraken", "Kraken", tx_type, incoming,
        "ex.kraken:ETH" if incoming else "", outgoing, "ex.kraken:BTC" if outgoing else "", fee,
        "ex.kraken:BTC" if fee else "", "", "", "", "",
    )  # fmt: skip


def mexc_row(side: str, price: str, amount: str, total: str, fee: str) -> str:
    return quoted("BTC_USDT", "2022-03-01 10:00:00", side, price, amount, total, fee, "Taker")


def blockpit_row(tx_type: str, outgoing: str, incoming: str, fee: str) -> str:
    return (
        f"1;01.03.2022 10:00:00;exchange;Binance;api;{tx_type};USDT;{outgoing};"
        f"{'BTC' if incoming else ''};{incoming};BNB;{fee};abc;;"
    )


def normal_row(value_in: str, value_out: str, fee: str) -> str:
    sender, recipient = (OTHER, USER) if value_out == "0" else (USER, OTHER)
    return quoted(
        "0xe1", "100", "1609459200", "2021-01-01 00:00:00", sender, recipient, "", value_in,
        value_out, "0", fee, "0.3", "1234", "", "", "Transfer",
    )  # fmt: skip


def internal_row(sender: str, value_in: str, value_out: str) -> str:
    recipient = OTHER if value_in == "0" else USER
    return quoted(
        "0xb2", "201", "1609459300", "2021-01-01 00:01:40", USER, sender, "0", sender, recipient,
        "", value_in, value_out, "0", "1234", "0", "", "call",
    )  # fmt: skip


def erc20_row(value: str) -> str:
    return quoted(
        "0xe2", "300", "1609459200", "2021-01-01 00:00:00", USER, OTHER, value, "$1", USDC,
        "USD Coin", "USDC",
    )  # fmt: skip


def coinmama_row(received: str, paid: str) -> str:
    return f"Buy, {received} ETH, {paid} USD, 12/31/2017, 11:59:59 PM, Completed"


Logs = list[tuple[str, str]]
Transactions = list[tuple[str | None, str | None, str | None]]

#: (case, header, row, context, logs (operation, change), transactions (incoming, outgoing, fee))
STORED: list[tuple[str, str, str, dict[str, str], Logs, Transactions]] = [
    (
        "export: plain amounts",
        EXPORT_HEADER,
        export_row("Swap", "1.50", "2", "0.1"),
        {},
        [("Deposit", "1.50"), ("Withdraw", "-2"), ("Fee", "-0.1")],
        [("1.50", "2", "0.1")],
    ),
    (
        "export: spaces",
        EXPORT_HEADER,
        export_row("Withdraw", "", "  2", " 0.1"),
        {},
        [("Withdraw", "-2"), ("Fee", "-0.1")],
        [(None, "2", "0.1")],
    ),
    (
        "export: plus signs",
        EXPORT_HEADER,
        export_row("Swap", "+1", "+2", "+0.1 "),
        {},
        [("Deposit", "1"), ("Withdraw", "-2"), ("Fee", "-0.1")],
        [("1", "2", "0.1")],
    ),
    (
        "export: a negative fee after a space",
        EXPORT_HEADER,
        export_row("Withdraw", "", "2", " -0.1"),
        {},
        [("Withdraw", "-2"), ("Fee", "-0.1")],
        [(None, "2", "-0.1")],
    ),
    (
        "mexc: plain amounts",
        MEXC_HEADER,
        mexc_row("BUY", "40000", "0.01", "400.00", "0.4"),
        {},
        [("Sell", "-400.00"), ("Buy", "0.01"), ("Fee", "-0.4")],
        [("0.01", "400.00", "0.4")],
    ),
    (
        "mexc: spaces",
        MEXC_HEADER,
        mexc_row("BUY", " 40000", " 0.01", " 400 ", " 0.4"),
        {},
        [("Sell", "-400"), ("Buy", "0.01"), ("Fee", "-0.4")],
        [("0.01", "400", "0.4")],
    ),
    (
        "mexc: plus signs",
        MEXC_HEADER,
        mexc_row("SELL", "+40000", "+0.01", "+400", "+0.4"),
        {},
        [("Sell", "-0.01"), ("Buy", "400"), ("Fee", "-0.4")],
        [("400", "0.01", "0.4")],
    ),
    (
        "blockpit: plus signs and spaces",
        BLOCKPIT_HEADER,
        blockpit_row("Trade", " +100", "+0.0025 ", " 0.0001"),
        {},
        [("Buy", "0.0025"), ("Sell", "-100"), ("Fee", "-0.0001")],
        [("0.0025", "100", "0.0001")],
    ),
    (
        "export: a zero outgoing amount and a negative zero fee",
        EXPORT_HEADER,
        export_row("Withdraw", "", "0", "-0.00"),
        {},
        [("Withdraw", "0"), ("Fee", "0")],
        [(None, "0", "-0.00")],
    ),
    (
        "mexc: zero fees, written 0 and 0.00",
        MEXC_HEADER,
        f"{mexc_row('SELL', '40000', '0.01', '400', '0')}\n"
        f"{mexc_row('BUY', '40000', '0.01', '400', '0.00')}",
        {},
        [
            *[("Sell", "-0.01"), ("Buy", "400"), ("Fee", "0")],
            *[("Sell", "-400"), ("Buy", "0.01"), ("Fee", "0")],
        ],
        [("400", "0.01", "0"), ("0.01", "400", "0.00")],
    ),
    (
        "mexc: a zero total",
        MEXC_HEADER,
        mexc_row("BUY", "0", "0.01", "0.00", "0"),
        {},
        [("Sell", "0"), ("Buy", "0.01"), ("Fee", "0")],
        [("0.01", "0.00", "0")],
    ),
    (
        "blockpit: a zero fee",
        BLOCKPIT_HEADER,
        blockpit_row("Trade", "100", "0.0025", "0.00"),
        {},
        [("Buy", "0.0025"), ("Sell", "-100"), ("Fee", "0")],
        [("0.0025", "100", "0")],
    ),
    (
        "blockpit: a zero withdrawal",
        BLOCKPIT_HEADER,
        blockpit_row("Withdrawal", "0.00", "", ""),
        {},
        [("Withdraw", "0")],
        [(None, "0", None)],
    ),
    (
        "etherscan normal: plus signs",
        NORMAL_HEADER,
        normal_row("0", "+0.25", "+0.00042"),
        ETHEREUM,
        [("Withdraw", "-0.25"), ("Fee", "-0.00042")],
        [(None, "0.25", "-0.00042")],
    ),
    (
        "etherscan normal: spaces",
        NORMAL_HEADER,
        normal_row("0", " 0.25 ", " 0.00042"),
        ETHEREUM,
        [("Withdraw", "-0.25"), ("Fee", "-0.00042")],
        [(None, "0.25", "-0.00042")],
    ),
    (
        "etherscan normal: a deposit with a plus sign",
        NORMAL_HEADER,
        normal_row(" +1.5", "0", "0"),
        ETHEREUM,
        [("Deposit", "1.5")],
        [("1.5", None, None)],
    ),
    (
        "etherscan internal: an unwrap with a plus sign",
        INTERNAL_HEADER,
        internal_row(WETH, "+1.25", "0"),
        ETHEREUM,
        [("Deposit", "1.25"), ("Withdraw", "-1.25")],
        [("1.25", "1.25", None)],
    ),
    (
        "etherscan internal: spaces",
        INTERNAL_HEADER,
        internal_row(USER, "0", " 0.3"),
        ETHEREUM,
        [("Withdraw", "-0.3")],
        [("0", None, None)],
    ),
    (
        "etherscan erc-20: a plus sign",
        ERC20_HEADER,
        erc20_row("+100.5"),
        ERC20_CONTEXT,
        [("Withdraw", "-100.5")],
        [(None, "100.5", None)],
    ),
    (
        "etherscan normal: zeros written 0.0",
        NORMAL_HEADER,
        normal_row("0", "0.0", "0.0"),
        ETHEREUM,
        [("Withdraw", "0"), ("Fee", "0")],
        [(None, "0.0", "0")],
    ),
    (
        "etherscan internal: an unwrap that receives nothing",
        INTERNAL_HEADER,
        internal_row(WETH, "0", "0.3"),
        ETHEREUM,
        [("Withdraw", "-0.3"), ("Withdraw", "0")],
        [("0", "0.3", None)],
    ),
    (
        "etherscan erc-20: a zero written 0.0",
        ERC20_HEADER,
        erc20_row("0.0"),
        ERC20_CONTEXT,
        [("Withdraw", "0")],
        [(None, "0.0", None)],
    ),
    (
        "etherscan block rewards: a plus sign",
        BLOCK_REWARDS_HEADER,
        quoted(
            "1000", "1438269988", "2015-07-30 15:26:28", "0", "0", USER, "0", "5000", "0", " +5"
        ),
        ETHEREUM,
        [("Reward", "5")],
        [("5", None, None)],
    ),
    (
        "coinmama: plus signs",
        COINMAMA_HEADER,
        coinmama_row("+0.5", "+150.00"),
        {},
        [("Buy", "0.5")],
        [("0.5", "150.00", None)],
    ),
]

#: (case, header, row, context, the task's error)
REFUSED: list[tuple[str, str, str, dict[str, str], str]] = [
    (
        "export: a negative outgoing amount",
        EXPORT_HEADER,
        export_row("Withdraw", "", "-2", ""),
        {},
        f'Invalid number in column "Outgoing": "-2" {REASON}',
    ),
    (
        "export: a negative outgoing amount after spaces",
        EXPORT_HEADER,
        export_row("Withdraw", "", "  -2", ""),
        {},
        f'Invalid number in column "Outgoing": "  -2" {REASON}',
    ),
    (
        "mexc: a negative total",
        MEXC_HEADER,
        mexc_row("BUY", "40000", "+0.01", "-400", "+0.4"),
        {},
        f'Invalid number in column "Total": "-400" {REASON}',
    ),
    (
        "mexc: a negative amount",
        MEXC_HEADER,
        mexc_row("SELL", "40000", "-0.01", "400", "0.4"),
        {},
        f'Invalid number in column "Executed Amount": "-0.01" {REASON}',
    ),
    (
        "mexc: a negative fee",
        MEXC_HEADER,
        mexc_row("BUY", "40000", "0.01", "400", "-0.4"),
        {},
        f'Invalid number in column "Fee": "-0.4" {REASON}',
    ),
    (
        "blockpit: a negative outgoing amount",
        BLOCKPIT_HEADER,
        blockpit_row("Trade", "-100", "0.0025", "0.0001"),
        {},
        f'Invalid number in column "Outgoing Amount": "-100" {REASON}',
    ),
    (
        "blockpit: a negative withdrawal",
        BLOCKPIT_HEADER,
        blockpit_row("Withdrawal", "-0.5", "", "0.001"),
        {},
        f'Invalid number in column "Outgoing Amount": "-0.5" {REASON}',
    ),
    (
        "blockpit: a negative fee",
        BLOCKPIT_HEADER,
        blockpit_row("Trade", "100", "0.0025", "-0.0001"),
        {},
        f'Invalid number in column "Fee Amount": "-0.0001" {REASON}',
    ),
    (
        "etherscan normal: a negative value out",
        NORMAL_HEADER,
        normal_row("0", "-0.25", "0.00042"),
        ETHEREUM,
        f'Invalid number in column "Value_OUT(ETH)": "-0.25" {REASON}',
    ),
    (
        "etherscan normal: a negative fee",
        NORMAL_HEADER,
        normal_row("0", "0.25", "-0.00042"),
        ETHEREUM,
        f'Invalid number in column "TxnFee(ETH)": "-0.00042" {REASON}',
    ),
    (
        "etherscan internal: a negative unwrap",
        INTERNAL_HEADER,
        internal_row(WETH, "-1.25", "0"),
        ETHEREUM,
        f'Invalid number in column "Value_IN(ETH)": "-1.25" {REASON}',
    ),
    (
        "etherscan internal: a negative value out",
        INTERNAL_HEADER,
        internal_row(USER, "0", "-0.3"),
        ETHEREUM,
        f'Invalid number in column "Value_OUT(ETH)": "-0.3" {REASON}',
    ),
    (
        "etherscan erc-20: a negative value",
        ERC20_HEADER,
        erc20_row("-100.5"),
        ERC20_CONTEXT,
        f'Invalid number in column "TokenValue": "-100.5" {REASON}',
    ),
]


async def stored(daemon: Daemon) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    db = daemon.accounts.get("main")
    logs = await db.fetch_all("SELECT operation, change FROM audit_logs ORDER BY rowid")
    transactions = await db.fetch_all(
        "SELECT incoming, outgoing, fee FROM transactions ORDER BY rowid"
    )
    return [tuple(row) for row in logs], [tuple(row) for row in transactions]


@pytest.mark.parametrize(
    ("case", "header", "row", "context", "logs", "transactions"),
    STORED,
    ids=[case for case, *_ in STORED],
)
async def test_amounts_with_spaces_or_a_plus_sign_are_stored_canonical(
    client: DaemonClient,
    daemon: Daemon,
    case: str,
    header: str,
    row: str,
    context: dict[str, str],
    logs: Logs,
    transactions: Transactions,
) -> None:
    await client.call("createAccount", "main")
    task = await import_file(
        daemon, client, "file.csv", f"{header}\n{row}".encode(), context=context
    )
    assert task["status"] == "completed", task
    assert await stored(daemon) == (logs, transactions)


@pytest.mark.parametrize(
    ("case", "header", "row", "context", "message"), REFUSED, ids=[case for case, *_ in REFUSED]
)
async def test_a_minus_sign_in_an_amount_the_import_negates_is_refused(
    client: DaemonClient,
    daemon: Daemon,
    case: str,
    header: str,
    row: str,
    context: dict[str, str],
    message: str,
) -> None:
    await client.call("createAccount", "main")
    before = await ledger_digest(daemon)
    task = await import_file(
        daemon, client, "file.csv", f"{header}\n{row}".encode(), context=context
    )
    assert (task["status"], task["errorMessage"]) == (
        "failed",
        f"Error: Cannot parse row 1: {message} (line 2)",
    )
    assert await ledger_digest(daemon) == before
    assert await client.call("getFileImports", "main") == []


async def test_balances_and_trades_refresh_after_amounts_with_spaces_and_signs(
    client: DaemonClient, daemon: Daemon
) -> None:
    """Stored as written, these amounts made every "Refresh balances" and "Refresh trades" of
    the account fail ("Invalid number: '-  2'") until the import was removed."""
    await client.call("createAccount", "main")
    deposit = export_row("Deposit", "+5", "", "").replace("ex.kraken:ETH", "ex.kraken:BTC")
    withdrawal = export_row("Withdraw", "", "  2", " 0.1")
    text = f"{EXPORT_HEADER}\n{deposit}\n{withdrawal}"
    task = await import_file(daemon, client, "export.csv", text.encode())
    assert task["status"] == "completed", task

    tasks = await wait_for_side_effects(client)

    refreshes = {
        (task["name"], task["status"], task.get("errorMessage"))
        for task in tasks
        if task["name"] in ("Refresh balances", "Refresh trades")
    }
    assert refreshes == {
        ("Refresh balances", "completed", None),
        ("Refresh trades", "completed", None),
    }
    balances = await client.call("getBalancesAt", "main")
    assert [(row["assetId"], row["balance"]) for row in balances] == [("ex.kraken:BTC", "2.9")]


@pytest.mark.parametrize(
    ("header", "rows", "held"),
    [
        (
            MEXC_HEADER,
            [
                "ETH_USDT,2022-01-02 11:00:00,SELL,3000,1,3000,0,Maker",
                "ETH_USDT,2022-01-03 11:00:00,BUY,3000,1,3000,0.00,Maker",
            ],
            [],
        ),
        (
            BLOCKPIT_HEADER,
            [
                "1;01.07.2022 12:00:00;Exchange;Binance;api;Deposit;;;USDT;100;;;t1;;",
                "2;02.07.2022 12:00:00;Exchange;Binance;api;Trade;USDT;100;BTC;0.005;USDT;0.00;"
                "t2;;",
            ],
            [("app.blockpit:BTC", "0.005")],
        ),
    ],
    ids=["mexc", "blockpit"],
)
async def test_a_zero_fee_leaves_no_balance_of_negative_zero(
    client: DaemonClient,
    daemon: Daemon,
    header: str,
    rows: list[str],
    held: list[tuple[str, str]],
) -> None:
    """A zero fee written ``-0`` was the first log of an asset spent to nothing just before, and
    the balances kept it: ``mexc:USDT`` at ``-0.00`` on every day since."""
    await client.call("createAccount", "main")
    task = await import_file(daemon, client, "zero-fee.csv", "\n".join([header, *rows]).encode())
    assert task["status"] == "completed", task
    await wait_for_side_effects(client)

    balances = await client.call("getBalancesAt", "main")
    assert [(row["assetId"], row["balance"]) for row in balances] == held
