"""Two rows of a file whose id recipe gives them the same 32-bit hash are both kept: the later
row's ids get its index appended (file-formats' recipes would let it replace the earlier row, and
the balances would lose it). The Binance swap id the reference fixture repeats is the exception,
kept as the reference keeps it (test_import_fixtures)."""

from privatefolio_daemon.sources.importers.fast_hash import fast_string_hash
from privatefolio_daemon.sources.importers.parse_file import parse_text
from tests.id_collisions import colliding_endings

GENERIC_HEADER = (
    "date,type,asset,assetType,quantity,price,priceCurrency,fee,feeCurrency,wallet,notes"
)
BINANCE_HEADER = '"User_ID","UTC_Time","Account","Operation","Coin","Change","Remark"'


def test_two_generic_rows_with_one_hash_are_both_kept() -> None:
    first, second = (
        "2024-03-01,deposit,USD,fiat,1,,,,,Broker,",
        "2024-03-02,deposit,USD,fiat,1000,,,,,Broker,",
    )
    note_1, note_2 = colliding_endings(f"0_{first}", f"1_{second}")
    rows = [first + note_1, second + note_2]
    parsed = parse_text("\n".join([GENERIC_HEADER, *rows]), file_name="cash.csv")

    tx_id = f"{parsed.file_import_id}_{fast_string_hash(f'0_{rows[0]}')}"
    assert tx_id == f"{parsed.file_import_id}_{fast_string_hash(f'1_{rows[1]}')}"
    assert [(tx.id, tx.incoming) for tx in parsed.transactions] == [
        (tx_id, "1"),
        (f"{tx_id}_1", "1000"),
    ]
    assert [(log.id, log.txId, log.change) for log in parsed.logs] == [
        (f"{tx_id}_DEPOSIT", tx_id, "1"),
        (f"{tx_id}_1_DEPOSIT", f"{tx_id}_1", "1000"),
    ]
    assert (parsed.meta.transactions, parsed.meta.logs) == (2, 2)


def test_two_binance_merges_to_one_sum_are_both_kept() -> None:
    """Two split buys of 0.5 + 0.5 ETH on different days merge to logs of one id; the later
    gets its first row's index (3)."""
    rows = [
        f'"1","2021-0{month}-01 10:00:00","Spot","{operation}","{coin}","{change}",""'
        for month, price in ((1, "-500"), (2, "-600"))
        for operation, coin, change in (
            ("Buy", "ETH", "0.5"),
            ("Buy", "ETH", "0.5"),
            ("Sell", "USDT", price),
        )
    ]
    parsed = parse_text("\n".join([BINANCE_HEADER, *rows]), file_name="statement.csv")

    bought = [log for log in parsed.logs if log.assetId == "ex.binance:ETH"]
    merged_id = f"{parsed.file_import_id}_{fast_string_hash('ex.binance:ETH_Buy_1')}"
    assert [(log.id, log.change) for log in bought] == [(merged_id, "1"), (f"{merged_id}_3", "1")]
    assert len({log.id for log in parsed.logs}) == len(parsed.logs) == 4
