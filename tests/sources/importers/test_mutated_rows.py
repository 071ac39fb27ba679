"""A row with one field changed to anything either imports or is refused for that row.

Whatever a user's file holds in a field, the import must never fail with anything but an
``ImportFormatError`` naming the row: any other exception reaches the user as an internal error.
Each format gets three valid rows and a fourth, the first of them with one field replaced.
"""

import csv
import io
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privatefolio_daemon.sources.importers.base import ImportFormatError, ParserContext
from privatefolio_daemon.sources.importers.parse_file import parse_text

USER = "0xf98c96b5d10faafc2324847c82305bd5fd7e5ad3"
PEER = "0xf652d990e50af27d8d423ac80631b4f5ef6d4113"
TOKEN = "0xa4e8c3ec456107ea67d3075bf9e3df3a75823db0"
ON_ETHEREUM = ParserContext(platform="chain.ethereum")


@dataclass(frozen=True)
class Sample:
    header: str
    rows: tuple[str, ...]
    context: ParserContext | None = None
    delimiter: str = ","


SAMPLES = {
    "binance": Sample(
        '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"',
        (
            '"1","2024-03-01 10:00:00","Spot","Buy","BTC","0.01",""',
            '"1","2024-03-01 10:00:00","Spot","Sell","USDT","-600",""',
            '"1","2024-03-02 10:00:00","Spot","Deposit","ETH","1.5",""',
        ),
    ),
    "etherscan": Sample(
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress",'
        '"Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $2000/Eth","TxnFee(ETH)","TxnFee(USD)",'
        '"Historical $Price/Eth","Status","ErrCode","Method"',
        tuple(
            f'"0x{n * 64}","5255185","1521052009","2018-03-14 18:26:49","{USER}","{PEER}","",'
            '"0","0.03","60","0.000134622","0.27","613.15","","","Transfer"'
            for n in "abc"
        ),
        ON_ETHEREUM,
    ),
    "etherscan-erc20": Sample(
        '"Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue",'
        '"USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol"',
        tuple(
            f'"0x{n * 64}","5255185","1521052009","2018-03-14 18:26:49","{PEER}","{USER}","10",'
            f'"$0.79","{TOKEN}","Loom","LOOM"'
            for n in "abc"
        ),
        ParserContext(platform="chain.ethereum", user_address=USER),
    ),
    "coinstats": Sample(
        "Portfolio,Coin Name,Coin Symbol,Exchange,Pair,Type,Amount,Price,Price USD,Fee Percent,"
        "Fee Amount,Fee Currency,Date,Notes",
        (
            "Main,Bitcoin,BTC,,,Sent,0.5,,,,,,2024-03-01 10:00:00,",
            "Main,Bitcoin,BTC,Binance,BTC/USDT,Buy,0.5,60000,60000,0.1,0.01,USDT,"
            "2024-03-01 10:00:00,x",
            "Main,Bitcoin,BTC,,,Received,0.5,,,,,,2024-03-02 10:00:00,",
        ),
    ),
    "mexc": Sample(
        "Pairs,Time,Side,Filled Price,Executed Amount,Total,Fee,Role",
        (
            "BTC_USDT,2024-03-01 10:00:00,BUY,60000,0.01,600,0.6,Taker",
            "BTC_USDT,2024-03-01 11:00:00,SELL,60000,0.01,600,0.6,Maker",
            "ETH_USDT,2024-03-01 12:00:00,BUY,3000,1,3000,3,Taker",
        ),
    ),
    "blockpit": Sample(
        "Blockpit ID;Timestamp;Source Type;Source Name;Integration;Transaction Type;"
        "Outgoing Asset;Outgoing Amount;Incoming Asset;Incoming Amount;Fee Asset;Fee Amount;"
        "Transaction ID;Note;Merge ID",
        (
            "1;01.03.2024 11:00:00;exchange;Binance;binance;Trade;USDT;600.0;BTC;0.0100;BNB;"
            "0.001;abc;n;m",
            "2;02.03.2024 11:00:00;exchange;Binance;binance;Deposit;;;BTC;0.0100;;;abd;n;m",
            "3;03.03.2024 11:00:00;exchange;Binance;binance;Withdrawal;BTC;0.005;;;;;abe;;",
        ),
        delimiter=";",
    ),
    "privatefolio": Sample(
        '"Timestamp","Platform","Wallet","Type","Incoming","Incoming Asset","Outgoing",'
        '"Outgoing Asset","Fee","Fee Asset","Smart Contract","Smart Contract Method",'
        '"Blockchain Tx","Notes"',
        (
            '"2017-12-27 19:55:48","ex.binance","Binance Spot","Swap","100","ex.binance:MANA",'
            '"0.010954","ex.binance:ETH","0.1","ex.binance:MANA","","","","hello"',
            '"2017-12-27 19:55:49","ex.binance","Binance Spot","Deposit","100","ex.binance:MANA",'
            '"","","","","","","",""',
            '"2017-12-28 19:55:49","ex.binance","Binance Spot","Withdraw","","","5",'
            '"ex.binance:MANA","","","","","",""',
        ),
    ),
    "generic": Sample(
        "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes",
        (
            "2024-03-01,buy,AAPL,stock,10,170.50,USD,1,USD,Broker,",
            "2024-03-02,sell,XAU,metal,0.5,2000,crypto:USDC,,,Vault,",
            "2024-04-02,dividend,AAPL,stock,3,0.25,USD,0.1,USD,Broker,",
        ),
    ),
}

#: Texts users' files are known to hold where a number, a date or a name belongs.
AWKWARD_VALUES = (
    "", " ", "-", ".", "1e", "1e5", "-0", "NaN", "Infinity", "-1e-7", "1" * 90, "1" * 4400,
    "١٢٣", "１", "+1", "1.", ".5", "1,5", " 1 ", "0x", "0xZZ", "'", '"', "😀", "null",
    "undefined", "2021-13-45 25:61:61", "0000-00-00 00:00:00", "9999-12-31 23:59:59",
    "Sell", "Buy", "Fee", "Transfer Between", "\ufeff", "\u2028",
)  # fmt: skip
ANY_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
)


def _fields(sample: Sample, row: str) -> list[str]:
    return next(csv.reader([row], delimiter=sample.delimiter))


def _row(sample: Sample, fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sample.delimiter, quoting=csv.QUOTE_ALL, lineterminator="")
    writer.writerow(fields)
    return out.getvalue()


def test_each_sample_imports_as_written() -> None:
    for name, sample in SAMPLES.items():
        result = parse_text(
            "\n".join((sample.header, *sample.rows)), file_name="x.csv", context=sample.context
        )
        assert result.meta.rows == 3, name
        assert result.logs, name


def _check_changed_field(name: str, column: int, value: str) -> None:
    sample = SAMPLES[name]
    fields = _fields(sample, sample.rows[0])
    fields[column % len(fields)] = value
    text = "\n".join((sample.header, *sample.rows, _row(sample, fields)))
    try:
        parse_text(text, file_name="x.csv", context=sample.context)
    except ImportFormatError as error:
        assert error.row == 4, str(error)
        assert str(error).startswith("Cannot parse row 4: "), str(error)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_field_takes_every_awkward_value(name: str) -> None:
    for column in range(len(_fields(SAMPLES[name], SAMPLES[name].rows[0]))):
        for value in AWKWARD_VALUES:
            _check_changed_field(name, column, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SAMPLES)), column=st.integers(0, 20), value=ANY_TEXT)
def test_a_field_changed_to_any_text_imports_or_is_refused_at_its_row(
    name: str, column: int, value: str
) -> None:
    _check_changed_field(name, column, value)
