"""Inputs a user can get wrong, each with the exact message they see."""

import pytest

from privatefolio_daemon.domain.connection_sources import EVM_EXTENSION, check_platform
from privatefolio_daemon.domain.errors import InvalidInputError
from privatefolio_daemon.sources.importers import registry
from privatefolio_daemon.sources.importers.base import ImportFormatError, ParserContext
from privatefolio_daemon.sources.importers.evm import checksum_address
from privatefolio_daemon.sources.importers.parse_file import parse_text

HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'
GOOD_ROW = '"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1.50",""'
EXPORT_HEADER = (
    '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
    '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method","Blockchain Tx",'
    '"Notes"'
)
ETHERSCAN_HEADER = (
    '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
    '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $2527.36/Eth","TxnFee(ETH)","TxnFee(USD)",'
    '"Historical $Price/Eth","Status","ErrCode","Method"'
)

COINMAMA_HEADER = "Transaction, Type,\tAmount,\tDate Created,\tStatus"
COINSTATS_HEADER = (
    "Portfolio,Coin Name,Coin Symbol,Exchange,Pair,Type,Amount,Price,Price USD,Fee Percent,"
    "Fee Amount,Fee Currency,Date,Notes"
)
BLOCKPIT_HEADER = (
    "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
    "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
    "Transaction ID;Note;Merge ID"
)
BLOCKPIT_ROW_START = "1;01.03.2021 10:00:00;exchange;Binance;binance;"


@pytest.mark.parametrize(
    ("text", "message", "row", "column"),
    [
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1"',
            "Cannot parse row 1: Invalid number of columns: expected 7, received 6",
            1,
            None,
        ),
        (
            "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
            "1,2017-12-04 19:13:15,Spot,Deposit,ETH,1.5,",
            "Cannot parse row 1: Invalid number of columns: expected 7, received 6 (an empty "
            'field must be written "": one left empty without quotes is skipped)',
            1,
            None,
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","","1.5",""',
            'Cannot parse row 1: Missing value in column "Coin"',
            1,
            "Coin",
        ),
        (
            f'{EXPORT_HEADER}\n"2023-01-01 10:00:00","x","w","Deposit","5","","","","","","",'
            '"","",""',
            'Cannot parse row 1: Missing value in column "Incoming Asset"',
            1,
            "Incoming Asset",
        ),
        (
            f'{HEADER}\n{GOOD_ROW}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1.2.3",""',
            'Cannot parse row 2: Invalid number in column "Change": "1.2.3"',
            2,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1.234,56",""',
            'Cannot parse row 1: Invalid number in column "Change": "1.234,56" '
            "(write it with a point before the decimals and no thousands separators)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1_000",""',
            'Cannot parse row 1: Invalid number in column "Change": "1_000" '
            "(write it with a point before the decimals and no thousands separators)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Withdraw","ETH","\u22121.5",""',
            'Cannot parse row 1: Invalid number in column "Change": "\u22121.5" '
            "(write its minus sign as a hyphen (-))",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1e400",""',
            'Cannot parse row 1: Invalid number in column "Change": "1e400" '
            "(at most 80 digits before and after the point)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1e-1000000",""',
            'Cannot parse row 1: Invalid number in column "Change": "1e-1000000" '
            "(at most 80 digits before and after the point)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","0.{"0" * 80}1",""',
            f'Cannot parse row 1: Invalid number in column "Change": "0.{"0" * 38}…" '
            "(at most 80 digits before and after the point)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1e1000000",""',
            'Cannot parse row 1: Invalid number in column "Change": "1e1000000" '
            "(at most 80 digits before and after the point)",
            1,
            "Change",
        ),
        (
            f'{HEADER}\n"1","2204-03-01 10:00:00","Spot","Deposit","ETH","1",""',
            'Cannot parse row 1: Invalid timestamp in column "UTC_Time": 2204-03-01 '
            "is in the future",
            1,
            "UTC_Time",
        ),
        (
            f'{HEADER}\n"1","1969-12-31 23:59:59","Spot","Deposit","ETH","1",""',
            'Cannot parse row 1: Invalid timestamp in column "UTC_Time": 1969-12-31 is before 1970',
            1,
            "UTC_Time",
        ),
        (
            f'{HEADER}\n"1","2017-13-04 19:13:15","Spot","Deposit","ETH","1",""',
            'Cannot parse row 1: Invalid timestamp in column "UTC_Time": 2017-13-04 19:13:15 '
            "(there is no such date or time)",
            1,
            "UTC_Time",
        ),
        (
            f'{HEADER}\n"1","yesterday","Spot","Deposit","ETH","1",""',
            'Cannot parse row 1: Invalid timestamp in column "UTC_Time": yesterday '
            "(expected YYYY-MM-DD HH:MM:SS)",
            1,
            "UTC_Time",
        ),
        (
            f'{HEADER}\n"1","04.12.2017 19:13:15","Spot","Deposit","ETH","1",""',
            'Cannot parse row 1: Invalid timestamp in column "UTC_Time": 04.12.2017 19:13:15 '
            "(expected YYYY-MM-DD HH:MM:SS)",
            1,
            "UTC_Time",
        ),
        (
            f"{HEADER}\n{GOOD_ROW}\n\n{GOOD_ROW}",
            "Cannot parse row 2: Invalid number of columns: expected 7, received 0 "
            "(the row is empty)",
            2,
            None,
        ),
        (
            "Date,Amount\n2024-01-01,1",
            "File import unsupported, unknown header: Date,Amount",
            0,
            None,
        ),
        ("", "The file is empty", None, None),
        (" \r\n\ufeff\n\t", "The file is empty", None, None),
        (
            f"{HEADER}\n{GOOD_ROW}\x00\x00",
            "The file is not a text file: it contains NUL characters",
            None,
            None,
        ),
        (
            f"{COINMAMA_HEADER}\nBuy, 0.3 BTC, 300.00 EUR, 9/7/2017, 1:11:16 PM, note, Completed",
            "Cannot parse row 1: Invalid number of columns: expected 6, received 7",
            1,
            None,
        ),
        (
            # A semicolon row keeps its empty fields: no hint that they were skipped.
            f"{BLOCKPIT_HEADER}\n{BLOCKPIT_ROW_START}Deposit;;;BTC;1;;;t1;",
            "Cannot parse row 1: Invalid number of columns: expected 15, received 14",
            1,
            None,
        ),
        (
            f"{BLOCKPIT_HEADER}\n{BLOCKPIT_ROW_START}Deposit;;;;0.07;;;a;;",
            'Cannot parse row 1: Missing value in column "Incoming Asset"',
            1,
            "Incoming Asset",
        ),
        (
            f"{BLOCKPIT_HEADER}\n{BLOCKPIT_ROW_START}Trade;BTC;1;ETH;10;;1;a;;",
            'Cannot parse row 1: Missing value in column "Fee Asset"',
            1,
            "Fee Asset",
        ),
        (
            f"{COINSTATS_HEADER}\nMain,Bitcoin,,Binance,,Buy,1,1,1,0,0,,2021-03-01T10:00:00.000Z,",
            'Cannot parse row 1: Missing value in column "Coin Symbol"',
            1,
            "Coin Symbol",
        ),
        (
            f"{ETHERSCAN_HEADER}\n" + ",".join(['"0"'] * 16),
            "Cannot parse row 1: 'platform' is required for this type of file import",
            1,
            None,
        ),
    ],
    ids=[
        "missing column",
        "unquoted empty remark",
        "empty coin",
        "amount without its asset",
        "bad number",
        "decimal comma",
        "underscore separator",
        "typographic minus",
        "huge number",
        "too many places",
        "too many written places",
        "overflowing exponent",
        "date in the future",
        "date before 1970",
        "bad date",
        "not a date",
        "date rewritten by a spreadsheet",
        "blank line inside",
        "unknown header",
        "empty file",
        "only whitespace and BOM",
        "binary file",
        "status pushed out by a comma",
        "missing column (Blockpit, empty fields kept)",
        "amount without its asset (Blockpit)",
        "fee without its asset (Blockpit)",
        "amount without its coin (Coinstats)",
        "missing context",
    ],
)
def test_bad_input_is_reported_exactly(
    text: str, message: str, row: int | None, column: str | None
) -> None:
    with pytest.raises(ImportFormatError) as raised:
        parse_text(text, file_name="bad.csv")

    assert (str(raised.value), raised.value.row, raised.value.column) == (message, row, column)


def _blockpit_deposit(timestamp: str) -> str:
    return f"{BLOCKPIT_HEADER}\n1;{timestamp};exchange;Binance;binance;Deposit;;;BTC;1;;;abc;;"


def test_a_blockpit_time_before_1970_in_utc_is_refused() -> None:
    """Blockpit's times are UTC+1: 01.01.1970 00:30:00 is 1969-12-31T23:30:00Z."""
    with pytest.raises(ImportFormatError) as raised:
        parse_text(_blockpit_deposit("01.01.1970 00:30:00"), file_name="blockpit.csv")

    assert (str(raised.value), raised.value.row, raised.value.column) == (
        'Cannot parse row 1: Invalid timestamp in column "Timestamp": 01.01.1970 00:30:00 (UTC+1) '
        "is before 1970",
        1,
        "Timestamp",
    )
    result = parse_text(_blockpit_deposit("01.01.1970 01:00:00"), file_name="blockpit.csv")
    assert [(log.timestamp, log.change) for log in result.logs] == [(0, "1")]


def test_erc20_needs_a_valid_user_address() -> None:
    header = (
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
        '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"'
    )
    text = f"{header}\n" + ",".join(['"1"'] * 11)
    context = ParserContext(platform="chain.ethereum", user_address="0x123")

    with pytest.raises(
        ImportFormatError, match=r"^Cannot parse row 1: 'userAddress' is not valid\.$"
    ):
        parse_text(text, file_name="erc20.csv", context=context)


def test_crlf_bom_and_trailing_blank_lines_are_accepted() -> None:
    later = GOOD_ROW.replace("1.50", "2").replace("19:13:15", "20:00:00")
    text = f"\ufeff{HEADER}\r\n{GOOD_ROW}\r\n{later}\r\n\r\n  \r\n"

    result = parse_text(text, file_name="crlf.csv")

    assert [(log.change, log.importIndex) for log in result.logs] == [("1.5", 0), ("2", 1)]
    assert result.meta.rows == 2


def test_a_misdecoded_bom_in_the_header_is_ignored() -> None:
    result = parse_text(f"ï»¿{HEADER}\n{GOOD_ROW}", file_name="mexc-style.csv")

    assert result.meta.parserId == "binance-account-statement"


def test_a_file_whose_lines_end_with_a_carriage_return_only_is_refused_at_its_first_line() -> None:
    text = "\r".join([HEADER, *[GOOD_ROW] * 20_000])

    with pytest.raises(ImportFormatError) as raised:
        parse_text(text, file_name="mac.csv")

    assert str(raised.value) == (
        "The first line of the file is longer than 1,048,576 characters (its lines end with a "
        "carriage return only; save it with line feeds or CRLF)"
    )


def test_a_quote_left_open_is_refused_at_the_row_that_opens_it() -> None:
    open_quote = '"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1","a note'
    text = "\n".join([HEADER, GOOD_ROW, GOOD_ROW, open_quote, *[GOOD_ROW] * 20_000])

    with pytest.raises(ImportFormatError) as raised:
        parse_text(text, file_name="open-quote.csv")

    assert str(raised.value) == (
        "Cannot parse row 3: the row is longer than 1,048,576 characters (a quote may be left "
        "open, or it may not be a CSV file)"
    )
    assert raised.value.row == 3


def test_a_complete_row_too_long_is_refused_even_in_one_chunk() -> None:
    long_remark = f'"1","2017-12-04 19:13:15","Spot","Deposit","ETH","1","{"x" * 1_100_000}"'
    text = "\n".join([HEADER, GOOD_ROW, long_remark, GOOD_ROW])

    with pytest.raises(ImportFormatError, match=r"^Cannot parse row 2: the row is longer than"):
        parse_text(text, file_name="long.csv")


def test_an_unknown_header_is_quoted_up_to_500_characters() -> None:
    header = ",".join(f"column {n}" for n in range(200))

    with pytest.raises(ImportFormatError) as raised:
        parse_text(f"{header}\n1,2", file_name="wide.csv")

    assert str(raised.value) == f"File import unsupported, unknown header: {header[:500]}…"


ETHERSCAN_PARSERS = [
    parser for parser in registry.PARSERS if parser.extension_id == "etherscan-file-import"
]


@pytest.mark.parametrize(
    "header",
    [header for parser in ETHERSCAN_PARSERS for header in parser.headers],
)
@pytest.mark.parametrize(
    "platform", ["ex.binance", "ethereum", "chain.bitcoin", "chain.Ethereum", "chain.notachain"]
)
def test_every_etherscan_format_needs_an_evm_chain(header: str, platform: str) -> None:
    """A platform picked wrongly would make assets that match no price and no other import: only
    a chain of the table is taken, as for a wallet connection, and with its message."""
    row = ",".join(['"1"'] * header.count(","))
    context = ParserContext(platform=platform, user_address=f"0x{'1' * 40}")

    with pytest.raises(ImportFormatError) as raised:
        parse_text(f'{header}\n{row},"1"', file_name="etherscan.csv", context=context)
    with pytest.raises(InvalidInputError) as refused:
        check_platform(EVM_EXTENSION, platform)

    assert str(raised.value) == f"Cannot parse row 1: Unsupported EVM platform: {platform}"
    assert str(refused.value) == f"Unsupported EVM platform: {platform}"


def test_an_erc20_transfer_that_does_not_involve_the_user_is_refused() -> None:
    """With another wallet's address, every transfer would be a withdrawal from strangers."""
    header = (
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
        '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"'
    )
    sender, recipient, contract = f"0x{'a' * 40}", f"0x{'b' * 40}", f"0x{'c' * 40}"
    row = (
        f'"0x01","1","1609459200","2021-01-01 00:00:00","{sender}","{recipient}","5","",'
        f'"{contract}","Token","TKN"'
    )
    user = f"0x{'d' * 40}"
    context = ParserContext(platform="chain.ethereum", user_address=user)

    with pytest.raises(ImportFormatError) as raised:
        parse_text(f"{header}\n{row}", file_name="erc20.csv", context=context)

    assert str(raised.value) == (
        f"Cannot parse row 1: The transfer is neither from nor to {checksum_address(user)}, the "
        "userAddress "
        "given: was the file exported for another address?"
    )
    mine = ParserContext(platform="chain.ethereum", user_address=recipient)
    assert [
        log.change for log in parse_text(f"{header}\n{row}", file_name="e.csv", context=mine).logs
    ] == ["5"]
